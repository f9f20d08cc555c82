using CudaGenre.Trainer.Cli;

namespace CudaGenre.Trainer.Tests;

/// <summary>
/// The committed grid list (benchmarks/trainer-grid.txt) must be runnable as it stands: a typo in one line would be
/// found only when the grid reaches it, hours into a session whose machine is not kept.
/// </summary>
public class GridListTests
{
    [Fact]
    public void Every_run_of_the_committed_grid_list_passes_the_trainers_dry_run()
    {
        var list = Path.Combine(RepositoryRoot(), "benchmarks", "trainer-grid.txt");
        var entries = GridList.Read(list);
        Assert.True(entries.Count >= 10, $"{list}: {entries.Count} runs");
        using var temp = new TempFolder();
        foreach (var entry in entries)
        {
            var (code, output) = DryRun(entry, temp.Path);
            Assert.True(code == 0, $"{entry.Name}: exit {code}\n{output}");
            Assert.StartsWith("ok: ", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--arch resnet5", "not an architecture")]
    [InlineData("--input-size 144y216", "is not a size")]
    [InlineData("--patinece 8", "--patinece")]
    [InlineData("--lr-schedule cosin", "cosin")]
    public void A_broken_line_fails_its_dry_run(string broken, string expected)
    {
        using var temp = new TempFolder();
        var entry = new GridEntry("broken", ["--data", "@DATA@", "--epochs", "40", .. broken.Split(' ')]);
        var (code, output) = DryRun(entry, temp.Path);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_of_absurd_size_is_refused_before_it_is_read()
    {
        using var temp = new TempFolder();
        var list = temp.File("list.txt");
        using (var file = File.Create(list))
            file.SetLength(5L << 30); // sparse
        var e = Assert.Throws<CudaGenre.Core.DataFileException>(() => GridList.Read(list));
        Assert.Contains("5,368,709,120 bytes", e.Problem, StringComparison.Ordinal);
    }

    /// <summary>What trainer-grid.sh runs for a line: its options with @DATA@ and @RUNS@ filled in, plus --out and --dry-run.</summary>
    private static (int Code, string Output) DryRun(GridEntry entry, string folder)
    {
        string[] args = ["train", .. entry.Arguments.Select(a => a.Replace("@DATA@", folder, StringComparison.Ordinal).Replace("@RUNS@", folder, StringComparison.Ordinal)),
            "--out", Path.Combine(folder, entry.Name), "--threads", "1", "--dry-run"];
        return CommandOutput.Capture(() => TrainerApp.Create().Parse(args).Invoke(), withErrors: true);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "benchmarks", "trainer-grid.txt")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no benchmarks/trainer-grid.txt above {AppContext.BaseDirectory}");
    }
}
