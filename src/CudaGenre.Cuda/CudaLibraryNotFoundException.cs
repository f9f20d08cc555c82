using System.Text;

namespace CudaGenre.Cuda;

/// <summary>
/// A CUDA-family library could not be loaded. The message says which library, which sonames were tried,
/// every folder looked at with the loader's error there, and how to fix it (<c>CUDAGENRE_CUDA_LIB_PATH</c>).
/// Thrown by the first call into the library (through the import resolver) and by <see cref="NativeLibraries.Load"/>.
/// </summary>
public sealed class CudaLibraryNotFoundException : CudaException
{
    /// <summary>Creates the exception from the result of a failed search.</summary>
    /// <param name="probe">The search result (<see cref="LibraryProbe.Found"/> is false).</param>
    public CudaLibraryNotFoundException(LibraryProbe probe)
        : base(probe.Name, Describe(probe))
    {
        Sonames = probe.Sonames;
        Attempts = probe.Attempts;
    }

    /// <summary>The file names tried, most preferred first.</summary>
    public IReadOnlyList<string> Sonames { get; }

    /// <summary>Every place tried, in search order, with what happened there.</summary>
    public IReadOnlyList<LibraryAttempt> Attempts { get; }

    private static string Describe(LibraryProbe probe)
    {
        var info = LibraryCatalog.Get(probe.Name);
        var text = new StringBuilder();
        text.Append($"{info.DisplayName} ('{probe.Name}') could not be loaded. Tried {string.Join(", ", probe.Sonames)}, in this order:");
        foreach (var attempt in probe.Attempts)
            text.Append($"\n  {attempt}");
        text.Append($"\nTo fix: {info.InstallHint} If it is installed in a folder not searched above, set {LibrarySearch.PathVariable} ")
            .Append($"to that folder (several folders: separate them with ':'), or set NativeLibraries.SearchPath in code. ")
            .Append("`cudagenre info` shows what is found.");
        return text.ToString();
    }
}
