using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;
using CudaGenre.Trainer.Models;
using static TorchSharp.torch;

namespace CudaGenre.Engine.Tests;

/// <summary>libtorch's generator and thread settings are process-wide: these tests run one at a time.</summary>
[CollectionDefinition(nameof(TorchUsers), DisableParallelization = true)]
public sealed class TorchUsers;

/// <summary>
/// The engine against TorchSharp (libtorch CPU, float32), the numerics contract's reference: every model
/// variant the trainer makes, with seeded random weights (random BatchNorm statistics) exported by the
/// trainer's own code, at the real input sizes, on random inputs.
/// </summary>
[Collection(nameof(TorchUsers))]
public sealed class TorchSharpValidationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-torch-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> Variants => ModelChecks.Variants;

    [Theory]
    [MemberData(nameof(Variants))]
    public void EngineLogits_MatchTorchSharp_AtTheRealInputSize(string arch, string head)
    {
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var architecture));
        Assert.True(ArchitectureNames.TryParseHead(head, out var classifier));
        var spec = ModelSpec.Default(architecture, classifier);
        const int batch = 2;
        var path = Path.Combine(_folder, $"{arch}-{head}.safetensors");

        float[] input, expected;
        using (var model = RandomModel.Create(spec, seed: 11))
        using (no_grad())
        {
            Export.WriteModel(path, model, spec);
            using var x = randn([batch, spec.InputChannels, spec.InputHeight, spec.InputWidth], generator: new Generator(12));
            using var y = model.forward(x);
            input = x.data<float>().ToArray();
            expected = y.data<float>().ToArray();
        }

        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu });
        var logits = session.Run(input, batch);
        var error = CpuModelTests.RelativeL2(logits, expected);
        Assert.True(error <= 1e-4, $"{arch}/{head}: relative L2 error {error:E2} > 1e-4");
        for (var n = 0; n < batch; n++)
        {
            Assert.Equal(CpuModelTests.ArgMax(expected.AsSpan(n * 10, 10)), CpuModelTests.ArgMax(logits.AsSpan(n * 10, 10)));
        }
    }
}

/// <summary>Each CPU op against the TorchSharp functional op on random shapes (odd sizes, stride 2, padding, batch > 1).</summary>
[Collection(nameof(TorchUsers))]
public sealed unsafe class TorchSharpOpTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    private static Tensor Nchw(float[] values, params long[] shape) => tensor(values, shape);

    private static float[] ToNhwc(Tensor t) => t.permute(0, 2, 3, 1).contiguous().data<float>().ToArray();

    [Theory]
    [InlineData(3, 5, 13, 11, 7, 3, 1, 1)]
    [InlineData(2, 16, 15, 9, 33, 3, 2, 1)]
    [InlineData(2, 3, 23, 19, 64, 7, 2, 3)]
    [InlineData(4, 24, 6, 7, 40, 1, 1, 0)]
    [InlineData(2, 24, 9, 9, 40, 1, 2, 0)]
    public void Convolution_MatchesConv2d(int batch, int cin, int h, int w, int cout, int k, int stride, int padding)
    {
        var x = Reference.Random(batch * cin * h * w, 1);
        var weight = Reference.Random(cout * cin * k * k, 2);
        var bias = Reference.Random(cout, 3);
        using var expected = nn.functional.conv2d(Nchw(x, batch, cin, h, w), Nchw(weight, cout, cin, k, k), tensor(bias), strides: [stride, stride], padding: [padding, padding]);

        var b = new float[k * k * cin * cout];
        for (var o = 0; o < cout; o++)
        {
            for (var i = 0; i < cin; i++)
            {
                for (var t = 0; t < k * k; t++)
                {
                    b[(t * cin + i) * cout + o] = weight[(o * cin + i) * k * k + t];
                }
            }
        }
        var g = new ConvGeometry(batch, h, w, cin, k, k, stride, padding);
        var y = new float[g.OutPixels * cout];
        var input = TensorReference.NchwToNhwc(x, batch, cin, h, w);
        fixed (float* px = input, py = y, pb = bias)
        {
            new GemmWork<PatchSource>(new PatchSource(px, g), new PackedMatrix(b, k * k * cin, cout), py, cout,
                new GemmEpilogue { Bias = pb }, new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
        }
        Assert.True(Reference.ScaledMaxError(y, ToNhwc(expected)) < 1e-5);
    }

    [Theory]
    [InlineData(2, 13, 9, 11, 1)]
    [InlineData(3, 728, 5, 5, 1)]
    [InlineData(2, 20, 10, 7, 2)]
    public void DepthwiseConvolution_MatchesGroupedConv2d(int batch, int c, int h, int w, int stride)
    {
        var x = Reference.Random(batch * c * h * w, 4);
        var weight = Reference.Random(c * 9, 5);
        var bias = Reference.Random(c, 6);
        using var expected = nn.functional.conv2d(Nchw(x, batch, c, h, w), Nchw(weight, c, 1, 3, 3), tensor(bias), strides: [stride, stride], padding: [1, 1], groups: c);
        var op = new DepthwiseConv2d(new ConvGeometry(batch, h, w, c, 3, 3, stride, 1), weight, bias, reluInput: false, reluOutput: false);
        var input = TensorReference.NchwToNhwc(x, batch, c, h, w);
        var y = new float[expected.numel()];
        fixed (float* px = input, py = y)
        {
            op.Bind(px, py);
            _cpu.Run(op, op.Items);
        }
        Assert.True(Reference.ScaledMaxError(y, ToNhwc(expected)) < 1e-6);
    }

    [Theory]
    [InlineData(2, 9, 14, 12, 2, 2, 0)]
    [InlineData(3, 17, 15, 13, 3, 2, 1)]
    public void MaxPool_MatchesMaxPool2d(int batch, int c, int h, int w, int k, int stride, int padding)
    {
        var x = Reference.Random(batch * c * h * w, 7);
        using var expected = nn.functional.max_pool2d(Nchw(x, batch, c, h, w), [k, k], [stride, stride], [padding, padding]);
        var op = new MaxPool2d(new ConvGeometry(batch, h, w, c, k, k, stride, padding));
        var input = TensorReference.NchwToNhwc(x, batch, c, h, w);
        var y = new float[expected.numel()];
        fixed (float* px = input, py = y)
        {
            op.Bind(px, py);
            _cpu.Run(op, op.Items);
        }
        Assert.Equal(ToNhwc(expected), y);
    }

    [Fact]
    public void GlobalAvgPool_And_Linear_MatchTorch()
    {
        const int batch = 3, c = 37, h = 7, w = 5, outputs = 10;
        var x = Reference.Random(batch * c * h * w, 8);
        using var pooled = nn.functional.adaptive_avg_pool2d(Nchw(x, batch, c, h, w), [1, 1]).flatten(1);
        var gap = new GlobalAvgPool(batch, h * w, c);
        var input = TensorReference.NchwToNhwc(x, batch, c, h, w);
        var features = new float[batch * c];
        fixed (float* px = input, pf = features)
        {
            gap.Bind(px, pf);
            _cpu.Run(gap, gap.Items);
        }
        Assert.True(Reference.ScaledMaxError(features, pooled.data<float>().ToArray()) < 1e-6);

        var weight = Reference.Random(outputs * c, 9);
        var bias = Reference.Random(outputs, 10);
        using var expected = nn.functional.linear(tensor(features, [batch, c]), Nchw(weight, outputs, c), tensor(bias));
        var transposed = new float[c * outputs];
        for (var o = 0; o < outputs; o++)
        {
            for (var i = 0; i < c; i++)
            {
                transposed[i * outputs + o] = weight[o * c + i];
            }
        }
        var y = new float[batch * outputs];
        fixed (float* pf = features, py = y, pb = bias)
        {
            new GemmWork<DenseSource>(new DenseSource(pf, batch, c, c), new PackedMatrix(transposed, c, outputs), py, outputs,
                new GemmEpilogue { Bias = pb }, new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
        }
        Assert.True(Reference.ScaledMaxError(y, expected.data<float>().ToArray()) < 1e-5);
    }
}
