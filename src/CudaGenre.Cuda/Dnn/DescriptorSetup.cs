using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Dnn;

/// <summary>Setup of a freshly created descriptor: when a setter fails, the descriptor is destroyed at once rather than left to the finalizer.</summary>
internal static class DescriptorSetup
{
    public static void Configure<T>(this T descriptor, Action<T> setup) where T : SafeHandle
    {
        try
        {
            setup(descriptor);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }
}
