using CudaGenre.Cuda.Dnn;

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
        var algorithm = new CudnnAlgorithm(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, cudnnMathType_t.CUDNN_FMA_MATH);
        first.Set("conv a", algorithm);
        first.Set("depthwise b", new OurKernel("ours"));
        first.Set("separable c", new TwoSteps());
        first.Save();

        var second = AlgorithmChoices.Open(path);
        Assert.Equal(3, second.Count);
        Assert.True(second.TryGet<OurKernel>("depthwise b", out var value));
        Assert.Equal("ours", value.EntryPoint);
        Assert.True(second.TryGet<CudnnAlgorithm>("conv a", out var saved));
        Assert.Equal(algorithm, saved);
        Assert.True(second.TryGet<TwoSteps>("separable c", out _));
        Assert.False(second.TryGet<CudnnAlgorithm>("depthwise b", out _)); // a choice of another kind is not this one
        Assert.False(second.TryGet<TunedChoice>("conv c", out _));
    }

    [Fact]
    public void NothingChanged_WritesNothing()
    {
        var path = Path.Combine(_folder, "choices.json");
        var choices = AlgorithmChoices.Open(path);
        choices.Save();
        Assert.False(File.Exists(path));
        choices.Set("k", new OurKernel("v"));
        choices.Save();
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));
        choices.Set("k", new OurKernel("v")); // the same value: not a change
        choices.Save();
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(path));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"format\": \"something-else/1\", \"choices\": {}}")]
    [InlineData("[1, 2]")]
    // Version 1 kept "ALGO|MATH" strings: an older file is ignored (and then replaced), not misread.
    [InlineData("{\"format\": \"cudagenre-choices/1\", \"choices\": {\"conv a\": \"CUDNN_CONVOLUTION_FWD_ALGO_GEMM|CUDNN_FMA_MATH\"}}")]
    public void ACorruptForeignOrOlderFile_IsIgnored_AndSaidSo(string text)
    {
        var path = Path.Combine(_folder, "choices.json");
        File.WriteAllText(path, text);
        var lines = new List<string>();
        var choices = AlgorithmChoices.Open(path, lines.Add);
        Assert.Equal(0, choices.Count);
        Assert.Contains(lines, l => l.Contains("ignoring the saved plan choices", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));
        choices.Set("k", new OurKernel("v"));
        choices.Save(); // and a good file replaces it
        Assert.Equal(1, AlgorithmChoices.Open(path).Count);
    }

    [Theory]
    [InlineData("{\"kind\": \"cudnn\", \"algorithm\": \"NOT_AN_ALGORITHM\", \"math\": \"CUDNN_FMA_MATH\"}")]
    [InlineData("{\"kind\": \"kernel\"}")]
    [InlineData("{\"kind\": \"something new\"}")]
    [InlineData("\"CUDNN_CONVOLUTION_FWD_ALGO_GEMM|CUDNN_FMA_MATH\"")]
    public void AnEntryThatIsNotAChoice_IsSkipped_AndTheOthersKept(string entry)
    {
        var path = Path.Combine(_folder, "choices.json");
        File.WriteAllText(path, $"{{\"format\": \"{AlgorithmChoices.FormatTag}\", \"choices\": {{\"bad\": {entry}, \"good\": {{\"kind\": \"two-steps\"}}}}}}");
        var choices = AlgorithmChoices.Open(path);
        Assert.Equal(1, choices.Count);
        Assert.True(choices.TryGet<TwoSteps>("good", out _));
        Assert.False(choices.TryGet<TunedChoice>("bad", out _));
    }

    [Fact]
    public void FileName_IsSafe_AndNamesDeviceArchitectureAndCudnn()
    {
        Assert.Equal("choices-NVIDIA_H100_80GB_HBM3-cc90-cudnn90600.json", AlgorithmChoices.FileName("NVIDIA H100 80GB HBM3", 90, 90600));
        Assert.Equal("choices-a_b_c-cc80-cudnn1.json", AlgorithmChoices.FileName("a/b\\c", 80, 1));
    }
}
