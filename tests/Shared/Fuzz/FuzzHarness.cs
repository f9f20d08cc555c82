// Shared by the test projects with fuzz targets (linked into each).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CudaGenre.Tests.Shared;

/// <summary>A case that broke a target's contract: an undocumented exception, too much memory, or too much time.</summary>
public sealed class FuzzFailureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs one input through a target and classifies the outcome. The property: the target returns, or throws one of
/// its documented exceptions; it allocates at most its bound on this thread; and it finishes within
/// <see cref="HangTimeout"/> (a watchdog ends the process with the input saved when a case hangs, since a hung
/// case cannot be interrupted).
/// </summary>
public static class FuzzHarness
{
    /// <summary>Generous: a case takes milliseconds. This finds hangs, it is not a timing assertion.</summary>
    public static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(60);

    private static readonly ConcurrentDictionary<int, (string Target, byte[] Input, long Start)> Running = new();

    // Checks the running cases every few seconds; never collected (static).
    private static readonly Timer Watchdog = new(_ => CheckHangs(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));

    /// <summary>Runs <paramref name="input"/>; returns "ok" or the documented exception's type name, or throws <see cref="FuzzFailureException"/>.</summary>
    public static string RunCase(FuzzTarget target, byte[] input)
    {
        GC.KeepAlive(Watchdog);
        var thread = Environment.CurrentManagedThreadId;
        Running[thread] = (target.Name, input, Stopwatch.GetTimestamp());
        var start = Stopwatch.GetTimestamp();
        var before = GC.GetAllocatedBytesForCurrentThread();
        string outcome;
        try
        {
            target.Run(input);
            outcome = "ok";
        }
        catch (Exception e) when (Array.IndexOf(target.Allowed, e.GetType()) >= 0)
        {
            if (string.IsNullOrWhiteSpace(e.Message))
                throw new FuzzFailureException($"{target.Name}: {e.GetType().Name} without a message on {Describe(input)}", e);
            outcome = e.GetType().Name;
        }
        catch (Exception e)
        {
            throw new FuzzFailureException($"{target.Name}: undocumented {e.GetType().FullName} on {Describe(input)}: {e.Message}", e);
        }
        finally
        {
            Running.TryRemove(thread, out _);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var bound = target.AllocationBound(input.LongLength);
        if (allocated > bound)
            throw new FuzzFailureException($"{target.Name}: allocated {allocated} bytes (bound {bound} for {input.Length} input bytes), outcome {outcome}, on {Describe(input)}");
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (elapsed > HangTimeout)
            throw new FuzzFailureException($"{target.Name}: took {elapsed.TotalSeconds:F1} s (over {HangTimeout.TotalSeconds} s) on {Describe(input)}");
        return outcome;
    }

    /// <summary>The input's length and hex (the first 4 KiB), enough to paste into a regression test.</summary>
    public static string Describe(byte[] input) =>
        $"{input.Length} bytes [{Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 4096)))}{(input.Length > 4096 ? "…" : "")}]";

    private static void CheckHangs()
    {
        foreach (var (thread, (target, input, start)) in Running)
        {
            if (Stopwatch.GetElapsedTime(start) <= HangTimeout)
                continue;
            var file = Path.Combine(Path.GetTempPath(), $"cudagenre-fuzz-hang-{target}-{DateTime.UtcNow:yyyyMMddHHmmss}.bin");
            System.IO.File.WriteAllBytes(file, input);
            Environment.FailFast($"fuzz target {target} hung for over {HangTimeout.TotalSeconds} s on thread {thread}; the input is in {file}");
        }
    }
}

/// <summary>Outcome counts of a run: cases, successes, each exception type.</summary>
public sealed class FuzzOutcomes
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string outcome) => _counts.AddOrUpdate(outcome, 1, (_, c) => c + 1);

    public long Cases => _counts.Values.Sum();

    public long this[string outcome] => _counts.GetValueOrDefault(outcome);

    public string Format(string target, string mode, TimeSpan elapsed)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{target,-12} {mode,-34} cases={Cases} seconds={elapsed.TotalSeconds:F1} ok={this["ok"]}");
        foreach (var (outcome, count) in _counts.Where(kv => kv.Key != "ok").OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $" {outcome}={count}");
        return text.ToString();
    }
}
