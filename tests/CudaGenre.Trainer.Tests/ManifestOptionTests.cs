using CudaGenre.Trainer.Cli;

namespace CudaGenre.Trainer.Tests;

/// <summary>
/// <c>train --manifest FILE</c>, the name <c>cudagenre evaluate</c> uses; the old <c>--split FILE</c> still works
/// (hidden), and giving both is an error.
/// </summary>
public sealed class ManifestOptionTests : IClassFixture<TrainRunTests.TinySynth>
{
    private readonly TrainRunTests.TinySynth _data;

    public ManifestOptionTests(TrainRunTests.TinySynth data) => _data = data;

    private static (int ExitCode, string Output) Run(params string[] args)
        => CommandOutput.Capture(() => TrainerApp.Create().Parse(args).Invoke());

    [Theory]
    [InlineData("--manifest")]
    [InlineData("--split")]
    public void TheManifestIsRead_UnderTheNewAndTheOldName(string option)
    {
        using var temp = new TempFolder();
        var manifest = temp.File("no-such-split.json");

        var (rc, output) = Run("train", "--data", _data.Root, option, manifest, "--epochs", "1", "--out", temp.File("run"));

        // The run reached the manifest: the error is about that file.
        Assert.Equal(1, rc);
        Assert.Contains("no-such-split.json", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BothNames_AreAnError_AndOnlyTheNewOneIsInHelp()
    {
        using var temp = new TempFolder();
        var (rc, output) = Run("train", "--data", _data.Root, "--manifest", temp.File("a.json"), "--split", temp.File("b.json"), "--out", temp.File("run"));
        Assert.Equal(1, rc);
        Assert.Contains("--split is the old name of --manifest: give one of them", output, StringComparison.Ordinal);

        (rc, output) = Run("train", "--help");
        Assert.Equal(0, rc);
        Assert.Contains("--manifest", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--split ", output, StringComparison.Ordinal);
    }
}
