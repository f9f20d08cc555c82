namespace CudaGenre.Core.Tests.Fuzz;

/// <summary>
/// The fuzz targets of issue #15, bounded for CI: each runs its committed corpus (seeds and regressions), then a fixed
/// number of CsCheck-mutated seeds from a fixed seed, by the shared <see cref="FuzzRunner"/> (its environment
/// variables: longer runs from random seeds, replaying a case, a report file).
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    /// <summary>Mutated cases per target in CI, sized to 20–60 s per target on the 2-core CI machine.</summary>
    public static readonly IReadOnlyDictionary<string, long> CiIterations = new Dictionary<string, long>
    {
        ["safetensors"] = 3_000_000,
        ["model"] = 2_000_000,
        ["image"] = 4_000_000,
        ["audio"] = 2_600_000,
        ["compressed"] = 300,
        ["frontend"] = 10_000,
        ["spec"] = 1_600_000,
        ["ensemble"] = 200_000,
    };

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_survives_its_corpus_and_mutations(string name)
        => FuzzRunner.Run(FuzzTargets.ByName(name), FuzzCorpus.Load(name), CiIterations[name], output);

    /// <summary>Regenerates the committed seed corpus (not the regressions): <c>CUDAGENRE_FUZZ_WRITE_CORPUS=1</c>.</summary>
    [Fact]
    public void WriteCorpus()
    {
        if (Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_WRITE_CORPUS") != "1")
            Assert.Skip("Set CUDAGENRE_FUZZ_WRITE_CORPUS=1 to regenerate Fuzz/corpus/*/seed-*.bin from FuzzSeeds.");
        foreach (var (target, files) in FuzzSeeds.Generate())
        {
            var dir = Path.Combine(FuzzCorpus.Root, target);
            Directory.CreateDirectory(dir);
            foreach (var old in Directory.GetFiles(dir, "seed-*.bin"))
                System.IO.File.Delete(old);
            foreach (var (file, bytes) in files)
                System.IO.File.WriteAllBytes(Path.Combine(dir, file), bytes);
        }
    }
}

/// <summary>The committed corpus, read from the source tree (tests/CudaGenre.Core.Tests/Fuzz/corpus).</summary>
public static class FuzzCorpus
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (System.IO.File.Exists(Path.Combine(dir.FullName, "CudaGenre.sln")))
                    return Path.Combine(dir.FullName, "tests", "CudaGenre.Core.Tests", "Fuzz", "corpus");
            }
            throw new DirectoryNotFoundException($"no CudaGenre.sln above {AppContext.BaseDirectory}");
        }
    }

    public static IReadOnlyList<(string Name, byte[] Bytes)> Load(string target)
    {
        var dir = Path.Combine(Root, target);
        return [.. Directory.GetFiles(dir, "*.bin").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), System.IO.File.ReadAllBytes(f)))];
    }
}
