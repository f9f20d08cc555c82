// Shared by the test projects with fuzz targets (linked into each).
using System.Diagnostics;
using System.Globalization;
using CsCheck;

namespace CudaGenre.Tests.Shared;

/// <summary>
/// Runs one fuzz target the same way in every test project that has targets (the Core tests' file parsers, the
/// server's request parsers): first its corpus, each seed (<c>seed-*</c>) required to succeed, then mutations of the
/// corpus. CI: a fixed number of cases from one fixed PCG stream, the same cases every run.
/// <c>CUDAGENRE_FUZZ_SECONDS=n</c>: n seconds from a random seed instead (benchmarks/fuzz.sh);
/// <c>CUDAGENRE_FUZZ_SEED=s</c>: replays one case; <c>CUDAGENRE_FUZZ_REPORT=file</c>: appends the outcome lines to a file.
/// </summary>
public static class FuzzRunner
{
    /// <summary>The CI run's fixed PCG stream and seed (reproducible: the same cases every run).</summary>
    public const uint CiStream = 15;

    /// <summary>The CI run's seed, with <see cref="CiStream"/>.</summary>
    public const ulong CiSeed = 2026_12_05;

    private static readonly Lock ReportLock = new();

    /// <summary>
    /// Runs <paramref name="target"/> on <paramref name="corpus"/> and then on its mutations (<paramref name="ciIterations"/>
    /// cases in CI), writing one outcome line per phase to <paramref name="output"/>. Fails when a seed does not succeed,
    /// when a case breaks the target's contract (<see cref="FuzzHarness.RunCase"/>; the case is shrunk first), or when
    /// no mutated case was accepted (the target would then test only its first checks). Returns the mutations' outcomes.
    /// </summary>
    public static FuzzOutcomes Run(FuzzTarget target, IReadOnlyList<(string Name, byte[] Bytes)> corpus, long ciIterations, ITestOutputHelper output)
    {
        var name = target.Name;
        Assert.Contains(corpus, c => c.Name.StartsWith("seed-", StringComparison.Ordinal));
        var outcomes = new FuzzOutcomes();
        var clock = Stopwatch.StartNew();
        foreach (var (file, bytes) in corpus)
        {
            var outcome = FuzzHarness.RunCase(target, bytes);
            // The seeds are valid inputs: they must succeed (a seed that fails fuzzes only the error path).
            // Regression inputs (regress-*) are replayed for their contract only.
            if (file.StartsWith("seed-", StringComparison.Ordinal))
                Assert.True(outcome == "ok", $"{name}/{file}: a seed must be valid, got {outcome}");
            outcomes.Add(outcome);
        }
        Report(output, outcomes.Format(name, "corpus", clock.Elapsed));

        var seconds = Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_SECONDS") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        var gen = Mutations.Of([.. corpus.Select(c => c.Bytes)]);
        var mutated = new FuzzOutcomes();
        clock.Restart();
        void Check(byte[] bytes) => mutated.Add(FuzzHarness.RunCase(target, bytes));
        if (Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_SEED") is { Length: > 0 } replay)
        {
            // Replays one case (a seed from a failure message) and lets CsCheck shrink it.
            gen.Sample(Check, seed: replay, iter: 1, threads: 1, print: FuzzHarness.Describe);
        }
        else if (seconds > 0)
        {
            gen.Sample(Check, time: seconds, threads: 1, print: FuzzHarness.Describe);
        }
        else
        {
            // CsCheck's Sample takes a seed for its first iteration only; CI wants the same cases every run, so the
            // cases come from one PCG stream here, and a failing case is handed to Sample by its seed to be shrunk.
            var pcg = new PCG(CiStream, CiSeed);
            for (var i = 0; i < ciIterations; i++)
            {
                var state = pcg.State;
                var bytes = gen.Generate(pcg, null, out _);
                try
                {
                    Check(bytes);
                }
                catch (FuzzFailureException e)
                {
                    var caseSeed = pcg.ToString(state);
                    output.WriteLine($"case {i} failed (CsCheck seed {caseSeed}, replay with CUDAGENRE_FUZZ_SEED={caseSeed}): {e.Message}");
                    // Sample runs the failing seed first, then keeps sampling to find and shrink to a smaller failing input.
                    gen.Sample(Check, seed: caseSeed, iter: 50_000, threads: 1, print: FuzzHarness.Describe);
                    throw;
                }
            }
        }
        Report(output, mutated.Format(name, seconds > 0 ? $"mutations {seconds}s random-seed" : $"mutations iter={ciIterations} pcg={CiStream}/{CiSeed}", clock.Elapsed));
        // Most mutations of a valid input are refused; some must still get through, or the target only tests its first checks.
        Assert.True(mutated["ok"] > 0, $"{name}: no mutated case was accepted");
        return mutated;
    }

    private static void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("CUDAGENRE_FUZZ_REPORT") is { Length: > 0 } report)
        {
            lock (ReportLock)
                System.IO.File.AppendAllText(report, line + Environment.NewLine);
        }
    }
}
