namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>The repository checkout the tests run from, when there is one (not in a published test bundle run elsewhere).</summary>
public static class Repository
{
    /// <summary>The folder holding CudaGenre.sln, searched upwards from the test binaries and from the working directory; null when neither is inside a checkout.</summary>
    public static string? Root { get; } = Find(AppContext.BaseDirectory) ?? Find(Directory.GetCurrentDirectory());

    /// <summary>The repository's kernels/ folder, or a skip saying why there is none.</summary>
    public static string RequireKernelsFolder()
    {
        if (Root is null)
            Assert.Skip("not running inside a CudaGenre checkout (no CudaGenre.sln above the test binaries or the working directory)");
        return Path.Combine(Root, "kernels");
    }

    private static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CudaGenre.sln")))
                return dir.FullName;
        }
        return null;
    }
}
