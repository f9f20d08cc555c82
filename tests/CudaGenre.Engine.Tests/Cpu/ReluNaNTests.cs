using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

/// <summary>
/// PyTorch's ReLU passes NaN through (relu(NaN) = NaN), and the engine's "non-finite logit" error depends on it: a NaN
/// that a fused ReLU turned into 0 would give a confident wrong answer. The kernels' ReLU is one x86 <c>vmaxps(0, v)</c>
/// (NaN-preserving only in that operand order), so every fused-ReLU path is checked with a NaN planted in its input.
/// </summary>
public sealed unsafe class ReluNaNTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    [Theory]
    [InlineData(50, 40, 20, 0)]    // a row in the first full 6-row group; 2 full panels + an 8-column edge
    [InlineData(50, 40, 20, 49)]   // the last row: the partial row group
    [InlineData(7, 17, 9, 3)]      // one past every tile edge
    public void Gemm_ReluEpilogue_KeepsNaN(int m, int n, int k, int nanRow)
    {
        var a = Reference.Random(m * k, 31);
        a[nanRow * k + k / 2] = float.NaN;
        var b = Reference.Random(k * n, 32);
        var bias = Reference.Random(n, 33);
        var c = new float[m * n];
        fixed (float* pa = a, pc = c, pBias = bias)
        {
            var epilogue = new GemmEpilogue { Bias = pBias, Relu = true };
            new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), new PackedMatrix(b, k, n), pc, n, epilogue,
                new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
        }
        for (var i = 0; i < m; i++)
        {
            var row = c.AsSpan(i * n, n).ToArray();
            Assert.True(i == nanRow ? row.All(float.IsNaN) : row.All(float.IsFinite), $"row {i}: {string.Join(' ', row)}");
        }
    }

    [Theory]
    [InlineData(1, 32, 6, 12, 3, 1, 1)]  // 3×3 stride 1: the sliding-window sweep (ReLU on each load)
    [InlineData(1, 32, 4, 23, 3, 1, 1)]  // strips, then a generic tail
    [InlineData(2, 24, 9, 10, 3, 2, 1)]  // stride 2: the generic path
    public void Depthwise_ReluInputAndOutput_KeepNaN(int batch, int c, int h, int w, int k, int stride, int padding)
    {
        var g = new ConvGeometry(batch, h, w, c, k, k, stride, padding);
        var input = Reference.Random(batch * h * w * c, 34);
        var (ny, nx, nc) = (h / 2, w / 2, c - 3);
        input[((long)(batch - 1) * h * w + ny * w + nx) * c + nc] = float.NaN;
        foreach (var (reluInput, reluOutput) in new[] { (true, false), (false, true), (true, true) })
        {
            var output = new float[g.OutPixels * c];
            var op = new DepthwiseConv2d(g, Reference.Random(c * k * k, 35), Reference.Random(c, 36), reluInput, reluOutput);
            fixed (float* pi = input, po = output)
            {
                op.Bind(pi, po);
                _cpu.Run(op, op.Items);
            }
            // NaN exactly in the outputs of channel nc whose window holds the planted pixel.
            for (var p = 0; p < g.OutPixels; p++)
            {
                var (n, oy, ox) = (p / (g.OutHeight * g.OutWidth), p / g.OutWidth % g.OutHeight, p % g.OutWidth);
                for (var ch = 0; ch < c; ch++)
                {
                    var covers = n == batch - 1 && ch == nc
                        && ny - (oy * stride - padding) is >= 0 and var dy && dy < k
                        && nx - (ox * stride - padding) is >= 0 and var dx && dx < k;
                    Assert.True(covers == float.IsNaN(output[(long)p * c + ch]),
                        $"relu in {reluInput}, out {reluOutput}: pixel ({n},{oy},{ox}) channel {ch} is {output[(long)p * c + ch]}");
                }
            }
        }
    }

    [Fact]
    public void Winograd_ReluEpilogue_KeepsNaN_FromTheResidual()
    {
        var g = new ConvGeometry(1, 8, 8, 16, 3, 3, 1, 1);
        var residual = Reference.Random(g.OutPixels * 24, 37);
        residual[5 * 24 + 17] = float.NaN;
        var y = new float[g.OutPixels * 24];
        fixed (float* px = Reference.Random(g.OutPixels * 16, 38), py = y, pBias = Reference.Random(24, 39), pResidual = residual)
        {
            var e = new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = 24, Relu = true };
            var work = new WinogradWork(px, g, Winograd.TransformFilters(Reference.Random(24 * 16 * 9, 40), 16, 24), py, e,
                new WorkerScratch(_cpu.Count, Winograd.ScratchLength(16, 24)), _cpu.Count);
            _cpu.Run(work, work.Tiling.Count);
        }
        Assert.True(float.IsNaN(y[5 * 24 + 17]));
        Assert.Equal(1, y.Count(float.IsNaN));
    }

    [Fact]
    public void ElementwiseAddRelu_KeepsNaN_InTheVectorBodyAndTheTail()
    {
        const int length = 8 * 5 + 3;
        var a = Reference.Random(length, 41);
        var b = Reference.Random(length, 42);
        (a[9], b[length - 1]) = (float.NaN, float.NaN);
        var y = new float[length];
        var op = new Elementwise(length, add: true, relu: true);
        fixed (float* pa = a, pb = b, py = y)
        {
            op.Bind(pa, pb, py);
            _cpu.Run(op, op.Items);
        }
        Assert.Equal([9, length - 1], Enumerable.Range(0, length).Where(i => float.IsNaN(y[i])));
    }
}
