namespace CudaGenre.Core.Tests;

/// <summary>A temporary folder that deletes itself; tests write their files here.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cudagenre-tests", Guid.NewGuid().ToString("N"));
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
