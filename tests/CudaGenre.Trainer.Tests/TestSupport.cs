using System.Reflection;

namespace CudaGenre.Trainer.Tests;

/// <summary>Where test inputs live.</summary>
public static class TestPaths
{
    /// <summary>The NuGet cache's pristine copy of TorchSharp's native library.</summary>
    public static string PristineLibTorchSharp
    {
        get
        {
            var root = typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "NuGetPackageRoot").Value!;
            var path = System.IO.Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            if (!File.Exists(path))
                Assert.Skip($"TorchSharp's native library is not in the NuGet cache at {path}.");
            return path;
        }
    }
}
