namespace CudaGenre.Core.Tests.Fuzz;

/// <summary>
/// The minimal inputs the fuzz targets found when a check was removed on purpose (the planted bugs of the README's
/// Fuzzing section), kept as corpus files (<c>corpus/&lt;target&gt;/regress-*.bin</c>, which every fuzz run also replays):
/// each must stay the clear, documented error that names the problem.
/// </summary>
public sealed class FuzzRegressionTests
{
    [Theory]
    [InlineData("safetensors", "regress-header-longer-than-file.bin", typeof(DataFileException), "the header length says 8 bytes, but only 3 follow it")]
    [InlineData("safetensors", "regress-negative-dimension.bin", typeof(DataFileException), "shape entry -1 is not a dimension")]
    [InlineData("spec", "regress-inputwidth-null.bin", typeof(ArgumentException), "inputHeight and inputWidth are required")]
    [InlineData("spec", "regress-cnnwidths-on-resnet.bin", typeof(ArgumentException), "cnnWidths applies only to the CNN, not to 'resnet18'")]
    [InlineData("audio", "regress-au-zero-channels.bin", typeof(DataFileException), "zero channels")]
    [InlineData("audio", "regress-wav-extensible-short-fmt.bin", typeof(DataFileException), "WAVE_FORMAT_EXTENSIBLE needs 40 bytes")]
    [InlineData("ensemble", "regress-invalid-utf8-in-path.bin", typeof(DataFileException), "not a valid ensemble manifest: not UTF-8 text")]
    [InlineData("image", "regress-declared-size-over-limits.bin", typeof(DataFileException), "its height 16282 is over the limit of 1024 (InputLimits.MaxImageHeight)")]
    public void Regression_input_is_a_clear_error(string target, string file, Type expected, string message)
    {
        var bytes = System.IO.File.ReadAllBytes(Path.Combine(FuzzCorpus.Root, target, file));
        var e = Assert.ThrowsAny<Exception>(() => FuzzTargets.ByName(target).Run(bytes));
        Assert.IsType(expected, e, exactMatch: true);
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"expected '{message}' in: {e.Message}");
        Assert.Equal(e.GetType().Name, FuzzHarness.RunCase(FuzzTargets.ByName(target), bytes));
    }
}
