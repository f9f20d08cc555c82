using System.Diagnostics;
using CsCheck;

namespace CudaGenre.Core.Tests.Fuzz;

/// <summary>
/// The fuzz targets of issue #15, bounded for CI: each runs its committed corpus (seeds and regressions), then a fixed
/// number of CsCheck-mutated seeds from a fixed seed. <c>CUDAGENRE_FUZZ_SECONDS=n</c> runs each for n seconds from a
/// random seed instead (benchmarks/fuzz.sh); <c>CUDAGENRE_FUZZ_REPORT=file</c> appends the outcome counts to a file.
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
    };

    /// <summary>The CI run's fixed PCG stream and seed (reproducible: the same cases every run).</summary>
    public const uint CiStream = 15;

    public const ulong CiSeed = 2026_12_05;

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_survives_its_corpus_and_mutations(string name)
    {
        var target = FuzzTargets.ByName(name);
        var corpus = FuzzCorpus.Load(name);
        Assert.Contains(corpus, c => c.Name.StartsWith("seed-", StringComparison.Ordinal));

        var outcomes = new FuzzOutcomes();
        var clock = Stopwatch.StartNew();
        foreach (var (file, bytes) in corpus)
        {
            var outcome = FuzzHarness.RunCase(target, bytes);
            // The seeds are valid files: they must succeed (a seed that fails fuzzes only the error path).
            if (file.StartsWith("seed-", StringComparison.Ordinal))
                Assert.True(outcome == "ok", $"{name}/{file}: a seed must be valid, got {outcome}");
            outcomes.Add(outcome);
        }
        Report(outcomes.Format(name, "corpus", clock.Elapsed));

        var seconds = Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_SECONDS") is { Length: > 0 } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var seeds = corpus.Select(c => c.Bytes).ToArray();
        var mutated = new FuzzOutcomes();
        clock.Restart();
        var gen = Mutations.Of(seeds);
        void Assert1(byte[] bytes) => mutated.Add(FuzzHarness.RunCase(target, bytes));
        if (Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_SEED") is { Length: > 0 } replay)
        {
            // Replays one case (a seed from a failure message) and lets CsCheck shrink it.
            gen.Sample(Assert1, seed: replay, iter: 1, threads: 1, print: FuzzHarness.Describe);
        }
        else if (seconds > 0)
        {
            gen.Sample(Assert1, time: seconds, threads: 1, print: FuzzHarness.Describe);
        }
        else
        {
            // CsCheck's Sample takes a seed for its first iteration only; CI wants the same cases every run, so the
            // cases come from one PCG stream here, and a failing case is handed to Sample by its seed to be shrunk.
            var pcg = new PCG(CiStream, CiSeed);
            for (var i = 0; i < CiIterations[name]; i++)
            {
                var state = pcg.State;
                var bytes = gen.Generate(pcg, null, out _);
                try
                {
                    Assert1(bytes);
                }
                catch (FuzzFailureException e)
                {
                    var caseSeed = pcg.ToString(state);
                    output.WriteLine($"case {i} failed (CsCheck seed {caseSeed}, replay with CUDAGENRE_FUZZ_SEED={caseSeed}): {e.Message}");
                    // Sample runs the failing seed first, then keeps sampling to find and shrink to a smaller failing input.
                    gen.Sample(Assert1, seed: caseSeed, iter: 50_000, threads: 1, print: FuzzHarness.Describe);
                    throw;
                }
            }
        }
        Report(mutated.Format(name, seconds > 0 ? $"mutations {seconds}s random-seed" : $"mutations iter={CiIterations[name]} pcg={CiStream}/{CiSeed}", clock.Elapsed));
        // Most mutations of a valid file are refused; some must still get through, or the target only tests its first checks.
        Assert.True(mutated["ok"] > 0, $"{name}: no mutated case was accepted");
    }

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

    private void Report(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_REPORT") is { Length: > 0 } report)
        {
            lock (typeof(FuzzTests))
                System.IO.File.AppendAllText(report, line + Environment.NewLine);
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
