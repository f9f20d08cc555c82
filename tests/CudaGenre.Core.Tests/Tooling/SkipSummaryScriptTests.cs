using System.Diagnostics;
using System.Text;

namespace CudaGenre.Core.Tests.Tooling;

/// <summary>
/// tools/skip-summary.sh, which .ci/run puts after `dotnet test`: on random logs (skip blocks with random reasons,
/// some over two lines, between ordinary lines and the summary counts, with and without colour codes) it must
/// drop every skip block, keep every other line in order, and print one correct count per reason before
/// "Test run summary", and list every skipped test with its reason in the file.
/// </summary>
public sealed class SkipSummaryScriptTests
{
    private static readonly string? Script = FindScript();

    [Theory]
    [InlineData(1UL, false)]
    [InlineData(2UL, true)]
    [InlineData(3UL, false)]
    [InlineData(4UL, true)]
    public void Summary_CountsEveryReason_AndKeepsEveryOtherLine(ulong seed, bool colour)
    {
        var rng = new SeededRandom(seed);
        var reasons = Enumerable.Range(0, 1 + rng.NextInt(5))
            .Select(i => rng.Chance(0.3) ? $"reason {i} {rng.NextUInt64():x}\n  continued {i}" : $"no usable GPU {i}: code {rng.NextInt(1000)}")
            .ToArray();
        var input = new StringBuilder();
        var kept = new List<string>();
        var skipped = new List<(string Test, string Reason)>();
        void Keep(string line)
        {
            kept.Add(line);
            input.Append(colour ? $"\u001b[37m{line}\u001b[0m\n" : line + "\n");
        }
        Keep("Running tests from /x/A.Tests.dll (net10.0|x64)");
        var blocks = rng.NextInt(60);
        for (var b = 0; b < blocks; b++)
        {
            if (rng.Chance(0.3))
                Keep(rng.Chance(0.5) ? $"/x/B{b}.Tests.dll (net10.0|x64) passed (1s)" : $"skipped-count is not a skip block {b}");
            var test = $"Ns.Class{b}.Method_{rng.NextUInt64():x}";
            var reason = reasons[rng.NextInt(reasons.Length)];
            skipped.Add((test, reason.Replace("\n  ", " ", StringComparison.Ordinal)));
            var yellow = colour ? "\u001b[93m" : "";
            input.Append($"{yellow}skipped {test}\n  {reason}\n  from /x/A.Tests.dll (net10.0|x64)\n");
        }
        Keep("");
        Keep("Test run summary: Passed!");
        Keep("  total: 9");
        Keep("  skipped: 3");

        using var folder = new TempFolder();
        var list = folder.File("skipped.tsv");
        var output = Run(input.ToString(), list);

        var lines = output.Split('\n', StringSplitOptions.None)[..^1];
        var summaryAt = Array.FindIndex(lines, l => l.EndsWith("skipped tests, by reason (each test and reason: " + list + "):", StringComparison.Ordinal));
        Assert.Equal(skipped.Count > 0, summaryAt >= 0);
        var counted = new Dictionary<string, int>();
        var others = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Replace("\u001b[37m", "", StringComparison.Ordinal).Replace("\u001b[0m", "", StringComparison.Ordinal);
            if (i == summaryAt)
            {
                Assert.Equal($"{skipped.Count} skipped tests, by reason (each test and reason: {list}):", line);
                continue;
            }
            if (summaryAt >= 0 && i > summaryAt && line.StartsWith("  ", StringComparison.Ordinal) && line.Contains(" × ", StringComparison.Ordinal))
            {
                var parts = line.Trim().Split(" × ", 2);
                var reason = parts[1][..parts[1].LastIndexOf(" (e.g. ", StringComparison.Ordinal)];
                var example = parts[1][(reason.Length + " (e.g. ".Length)..^1];
                counted[reason] = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(skipped.First(s => s.Reason == reason).Test, example);
                continue;
            }
            others.Add(line);
        }
        Assert.Equal(kept, others);
        Assert.Equal(skipped.GroupBy(s => s.Reason).ToDictionary(g => g.Key, g => g.Count()), counted);
        if (summaryAt >= 0)
            Assert.Equal("Test run summary: Passed!", lines[summaryAt + counted.Count + 1].Replace("\u001b[37m", "", StringComparison.Ordinal).Replace("\u001b[0m", "", StringComparison.Ordinal));
        var listed = File.Exists(list) ? File.ReadAllLines(list) : [];
        Assert.Equal(skipped.Select(s => $"{s.Test}\t{s.Reason}"), listed);
    }

    private static string Run(string input, string list)
    {
        if (Script is null)
            Assert.Skip("not running inside a CudaGenre checkout (no tools/skip-summary.sh above the test binaries)");
        var start = new ProcessStartInfo("bash", [Script, list]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        var output = stdout.GetAwaiter().GetResult();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output;
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "tools", "skip-summary.sh");
            if (File.Exists(Path.Combine(dir.FullName, "CudaGenre.sln")) && File.Exists(script))
                return script;
        }
        return null;
    }
}
