namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>The repository checkout the tests run from, when there is one (not in a published test bundle run elsewhere).</summary>
public static class Repository
{
    /// <summary>
    /// The folder holding CudaGenre.sln, searched upwards from the test binaries, then from the shell's working
    /// directory ($PWD: the test runner moves the process's own to the binaries); null when none is in a checkout.
    /// </summary>
    public static string? Root { get; } =
        Find(AppContext.BaseDirectory) ?? Find(Directory.GetCurrentDirectory()) ?? (Environment.GetEnvironmentVariable("PWD") is { Length: > 0 } pwd ? Find(pwd) : null);

    /// <summary>The repository's kernels/ folder, or a skip saying why there is none.</summary>
    public static string RequireKernelsFolder()
    {
        if (Root is null)
            Assert.Skip("not running inside a CudaGenre checkout (no CudaGenre.sln above the test binaries or the working directory)");
        return Path.Combine(Root, "kernels");
    }

    private static string? Find(string start)
    {
        if (!Directory.Exists(start))
            return null;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CudaGenre.sln")))
                return dir.FullName;
        }
        return null;
    }
}
