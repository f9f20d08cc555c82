namespace CudaGenre.Core.Tests;

/// <summary>Where the shared real GTZAN images are, when this machine has them.</summary>
public static class SharedData
{
    /// <summary>../shared/data/gtzan relative to the repository, or null (tests then skip, saying why).</summary>
    public static string? GtzanRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            for (; dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(System.IO.Path.Combine(dir.FullName, ".git")) || System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "CudaGenre.sln")))
                {
                    var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "data", "gtzan"));
                    return Directory.Exists(candidate) ? candidate : null;
                }
            }
            return null;
        }
    }

    public static string RequireGtzan()
    {
        var root = Environment.GetEnvironmentVariable("CUDAGENRE_GTZAN") is { Length: > 0 } env && Directory.Exists(env) ? env : GtzanRoot;
        if (root is null)
            Assert.Skip("The real GTZAN images are not on this machine (looked for ../shared/data/gtzan next to the repository, and $CUDAGENRE_GTZAN).");
        return root;
    }
}
