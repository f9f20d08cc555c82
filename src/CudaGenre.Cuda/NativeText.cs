using System.Runtime.InteropServices;

namespace CudaGenre.Cuda;

/// <summary>Reads the static C strings that the libraries return for their status codes.</summary>
internal static class NativeText
{
    /// <summary>
    /// Calls a function that returns a static UTF-8 string (never freed). Null when it returns null or "",
    /// or when the library cannot be loaded: the status path must work even where the library is absent.
    /// </summary>
    public static string? Ask(Func<nint> function)
    {
        try
        {
            var p = function();
            var s = p == 0 ? null : Marshal.PtrToStringUTF8(p);
            return string.IsNullOrEmpty(s) ? null : s;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or CudaException)
        {
            return null;
        }
    }
}
