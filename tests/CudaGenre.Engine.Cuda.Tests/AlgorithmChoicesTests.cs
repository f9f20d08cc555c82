namespace CudaGenre.Engine.Cuda.Tests;

public sealed class AlgorithmChoicesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-choices-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Choices_SurviveAProcess_ThroughTheFile()
    {
        var path = Path.Combine(_folder, "sub", "choices.json");
        var first = AlgorithmChoices.Open(path);
        first.Set("conv a", "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM|CUDNN_FMA_MATH");
        first.Set("depthwise b", "ours");
        first.Save();

        var second = AlgorithmChoices.Open(path);
        Assert.Equal(2, second.Count);
        Assert.True(second.TryGet("depthwise b", out var value));
        Assert.Equal("ours", value);
        Assert.False(second.TryGet("conv c", out _));
    }

    [Fact]
    public void NothingChanged_WritesNothing()
    {
        var path = Path.Combine(_folder, "choices.json");
        var choices = AlgorithmChoices.Open(path);
        choices.Save();
        Assert.False(File.Exists(path));
        choices.Set("k", "v");
        choices.Save();
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));
        choices.Set("k", "v"); // the same value: not a change
        choices.Save();
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(path));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"format\": \"something-else/1\", \"choices\": {}}")]
    [InlineData("[1, 2]")]
    public void ACorruptOrForeignFile_IsIgnored_AndSaidSo(string text)
    {
        var path = Path.Combine(_folder, "choices.json");
        File.WriteAllText(path, text);
        var lines = new List<string>();
        var choices = AlgorithmChoices.Open(path, lines.Add);
        Assert.Equal(0, choices.Count);
        Assert.Contains(lines, l => l.Contains("ignoring the saved plan choices", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));
        choices.Set("k", "v");
        choices.Save(); // and a good file replaces it
        Assert.Equal(1, AlgorithmChoices.Open(path).Count);
    }

    [Fact]
    public void FileName_IsSafe_AndNamesDeviceArchitectureAndCudnn()
    {
        Assert.Equal("choices-NVIDIA_H100_80GB_HBM3-cc90-cudnn90600.json", AlgorithmChoices.FileName("NVIDIA H100 80GB HBM3", 90, 90600));
        Assert.Equal("choices-a_b_c-cc80-cudnn1.json", AlgorithmChoices.FileName("a/b\\c", 80, 1));
    }
}
