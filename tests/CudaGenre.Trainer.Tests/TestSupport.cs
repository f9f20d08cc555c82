using System.Reflection;

namespace CudaGenre.Trainer.Tests;

/// <summary>A temporary folder that deletes itself.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cudagenre-trainer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

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
