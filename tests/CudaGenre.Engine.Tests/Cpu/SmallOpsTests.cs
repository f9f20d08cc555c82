using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

public sealed unsafe class SmallOpsTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    [Theory]
    [InlineData(2, 19, 7, 9, 3, 1, 1, false, false)]   // channels not a multiple of 8
    [InlineData(1, 64, 12, 11, 3, 1, 1, true, true)]   // Xception-style ReLU prologue
    [InlineData(2, 16, 5, 14, 3, 1, 0, false, false)]  // no padding: every column a four-output strip
    [InlineData(1, 32, 4, 23, 3, 1, 1, false, true)]   // strips, then a generic tail of 2 columns
    [InlineData(3, 24, 9, 10, 3, 2, 1, true, false)]   // stride 2, odd sizes
    [InlineData(1, 8, 6, 6, 5, 2, 2, false, true)]     // larger window
    [InlineData(2, 40, 6, 9, 3, 1, 1, true, false)]    // 16-channel sweeps, then an 8-channel tail in strips
    [InlineData(1, 48, 1, 1, 3, 1, 1, false, false)]   // a 1×1 map: every tap but the centre outside
    public void DepthwiseConv_MatchesGroupedConvolution(int batch, int c, int h, int w, int k, int stride, int padding, bool reluInput, bool reluOutput)
    {
        var x = Reference.Random(batch * c * h * w, 20);
        var weight = Reference.Random(c * k * k, 21);
        var bias = Reference.Random(c, 22);
        var xForReference = reluInput ? x.Select(v => Math.Max(v, 0f)).ToArray() : x;
        var expected = TensorReference.Conv2dNchw(xForReference, batch, c, h, w, weight, c, k, k, stride, padding, groups: c, bias, out var oh, out var ow);
        if (reluOutput)
        {
            expected = expected.Select(v => Math.Max(v, 0f)).ToArray();
        }

        var g = new ConvGeometry(batch, h, w, c, k, k, stride, padding);
        var op = new DepthwiseConv2d(g, weight, bias, reluInput, reluOutput);
        var input = TensorReference.NchwToNhwc(x, batch, c, h, w);
        var untouched = input.ToArray();
        var output = new float[batch * oh * ow * c];
        fixed (float* pi = input, po = output)
        {
            op.Bind(pi, po);
            _cpu.Run(op, op.Items);
        }
        Assert.True(Reference.ScaledMaxError(output, TensorReference.NchwToNhwc(expected, batch, c, oh, ow)) < 1e-6);
        Assert.Equal(untouched, input); // the ReLU prologue must not write back: the skip path reads the raw input
    }

    [Theory]
    [InlineData(2, 40, 5, 7)]   // runs that start mid-row and cross rows and images; an 8-channel tail
    [InlineData(1, 728, 3, 19)] // Xception's middle-flow width: depth blocks of 256, 256 and 216 channels
    public void DepthwiseSource_PacksExactlyTheDepthwiseOutput(int batch, int c, int h, int w)
    {
        // The fused separable convolution reads A from the depthwise convolution in blocks (rows × depth) that start
        // anywhere: every block must equal the matching part of the whole op's output, bit for bit.
        var g = new ConvGeometry(batch, h, w, c, 3, 3, 1, 1);
        var op = new DepthwiseConv2d(g, Reference.Random(c * 9, 23), Reference.Random(c, 24), reluInput: true, reluOutput: false);
        var input = Reference.Random(batch * h * w * c, 25);
        var whole = new float[batch * h * w * c];
        var rows = batch * h * w;
        fixed (float* pi = input, po = whole)
        {
            op.Bind(pi, po);
            _cpu.Run(op, op.Items);
            var source = new DepthwiseSource(op);
            Assert.Equal((rows, c), (source.Rows, source.Depth));
            foreach (var (row0, count, k0, kc) in new[] { (0, rows, 0, c), (3, w + 2, 8, 24), (rows - 5, 5, c - 13, 13), (w - 1, rows - w + 1, 0, Math.Min(256, c)), (1, rows - 1, c / 2, c - c / 2) })
            {
                var block = new float[count * kc];
                fixed (float* pb = block)
                {
                    source.Pack(row0, count, k0, kc, pb);
                }
                for (var r = 0; r < count; r++)
                {
                    Assert.Equal(whole.AsSpan((row0 + r) * c + k0, kc).ToArray(), block.AsSpan(r * kc, kc).ToArray());
                }
            }
        }
    }

    [Theory]
    [InlineData(2, 3, 9, 21, 32, 3, 1, 1, true)]   // the CNN's first layer: full pixel blocks, then edge pixels
    [InlineData(1, 3, 23, 20, 64, 7, 2, 3, false)] // a 7×7 stride-2 window (the ResNet stem's; 6 pixels × 64 channels in 512-bit vectors)
    [InlineData(2, 3, 11, 29, 128, 3, 1, 1, true)]  // several column tiles, a partial pixel block at the row's end
    [InlineData(1, 2, 9, 17, 96, 5, 2, 2, true)]    // 96 outputs: three 32-channel tiles (six of 16)
    [InlineData(1, 4, 3, 2, 32, 7, 2, 3, true)]    // a window wider than the image: every pixel an edge pixel
    [InlineData(2, 3, 15, 31, 32, 3, 2, 0, true)]  // Xception's first layer: 3×3 stride 2, no padding
    [InlineData(1, 1, 12, 40, 64, 3, 1, 1, false)] // one input channel
    [InlineData(1, 4, 12, 12, 32, 9, 1, 4, true)]  // 324 taps: more than one GEMM depth block, refused
    public void SmallInputConv_MatchesTheConvolution_AndTheGemmBitForBit(int batch, int c, int h, int w, int outChannels, int k, int stride, int padding, bool relu)
    {
        var x = Reference.Random(batch * c * h * w, 26);
        var weight = Reference.Random(outChannels * c * k * k, 27);
        var bias = Reference.Random(outChannels, 28);
        var expected = TensorReference.Conv2dNchw(x, batch, c, h, w, weight, outChannels, k, k, stride, padding, groups: 1, bias, out var oh, out var ow);
        if (relu)
        {
            expected = expected.Select(v => Math.Max(v, 0f)).ToArray();
        }
        // Weights as the GEMM takes them: [(ky, kx, in), out].
        var gemmWeights = new float[k * k * c * outChannels];
        for (var o = 0; o < outChannels; o++)
            for (var i = 0; i < c; i++)
                for (var t = 0; t < k * k; t++)
                    gemmWeights[((t * c) + i) * outChannels + o] = weight[((o * c) + i) * k * k + t];
        var g = new ConvGeometry(batch, h, w, c, k, k, stride, padding);
        if (k * k * c > Gemm.KC)
        {
            // More taps than one GEMM depth block: refused, as its one FMA chain would not be the GEMM's sum.
            var refused = Assert.Throws<ArgumentException>(() => new SmallInputConv(g, gemmWeights, outChannels, null, relu));
            Assert.Contains("depth blocks", refused.Message, StringComparison.Ordinal);
            return;
        }
        var input = TensorReference.NchwToNhwc(x, batch, c, h, w);
        var fromNhwc = new float[batch * oh * ow * outChannels];
        var fromNchw = new float[fromNhwc.Length];
        var gemm = new float[fromNhwc.Length];
        var pinnedBias = GC.AllocateArray<float>(outChannels, pinned: true);
        bias.CopyTo(pinnedBias, 0);
        fixed (float* pi = input, px = x, pd = fromNhwc, pn = fromNchw, pg = gemm, pb = pinnedBias)
        {
            var op = new SmallInputConv(g, gemmWeights, outChannels, pb, relu);
            op.Bind(pi, pd);
            _cpu.Run(op, op.Items);
            var nchw = new SmallInputConv(g, gemmWeights, outChannels, pb, relu, nchw: true);
            nchw.Bind(px, pn); // the model's input as given, no reorder
            _cpu.Run(nchw, nchw.Items);
            var work = new GemmWork<PatchSource>(new PatchSource(pi, g), new PackedMatrix(gemmWeights, k * k * c, outChannels), pg, outChannels,
                new GemmEpilogue { Bias = pb, Relu = relu }, new WorkerScratch(3), 3);
            work.Run(_cpu);
        }
        Assert.True(Reference.ScaledMaxError(fromNhwc, TensorReference.NchwToNhwc(expected, batch, outChannels, oh, ow)) < 1e-6);
        Assert.Equal(gemm, fromNhwc);
        Assert.Equal(gemm, fromNchw);
    }

    [Theory]
    [InlineData(2, 13, 8, 8, 2, 2, 0)]     // the CNN's 2×2 pool
    [InlineData(1, 16, 112, 112, 3, 2, 1)] // ResNet stem pool
    [InlineData(2, 20, 9, 7, 3, 2, 1)]     // odd sizes (Xception block ends)
    [InlineData(1, 29, 10, 11, 3, 2, 1)]   // 16-lane, 8-lane and scalar channels; odd window column counts
    public void MaxPool_MatchesReference(int batch, int c, int h, int w, int k, int stride, int padding)
    {
        var x = Reference.Random(batch * c * h * w, 30);
        var expected = TensorReference.MaxPoolNchw(x, batch, c, h, w, k, stride, padding, out var oh, out var ow);
        var op = new MaxPool2d(new ConvGeometry(batch, h, w, c, k, k, stride, padding));
        var input = TensorReference.NchwToNhwc(x, batch, c, h, w);
        var output = new float[batch * oh * ow * c];
        fixed (float* pi = input, po = output)
        {
            op.Bind(pi, po);
            _cpu.Run(op, op.Items);
        }
        Assert.Equal(TensorReference.NchwToNhwc(expected, batch, c, oh, ow), output);
    }

    [Theory]
    [InlineData(2, 3, 70, 70)]  // 4900 pixels: two runs per image, the second partial
    [InlineData(3, 5, 64, 128)] // exactly two whole runs per image
    [InlineData(1, 64, 3, 4)]   // a CNN flatten's shape: many channels, few pixels
    public void LayoutChange_ReordersEveryPixelOfEveryImage_BothWays(int batch, int c, int h, int w)
    {
        var nchw = Reference.Random(batch * c * h * w, 33);
        var nhwc = new float[nchw.Length];
        var back = new float[nchw.Length];
        var toNhwc = new LayoutChange(batch, c, h * w, toNhwc: true);
        var toNchw = new LayoutChange(batch, c, h * w, toNhwc: false);
        fixed (float* pi = nchw, pm = nhwc, pb = back)
        {
            toNhwc.Bind(pi, pm);
            _cpu.Run(toNhwc, toNhwc.Items);
            toNchw.Bind(pm, pb);
            _cpu.Run(toNchw, toNchw.Items);
        }
        Assert.Equal(TensorReference.NchwToNhwc(nchw, batch, c, h, w), nhwc);
        Assert.Equal(nchw, back);
    }

    [Fact]
    public void MaxPool_PropagatesNaN_LikePyTorch()
    {
        const int c = 25; // a 16-lane group, an 8-lane group and one scalar channel
        var input = Reference.Random(4 * 4 * c, 31);
        input[(0 * 4 + 0) * c + 2] = float.NaN;  // 16-lane group, window (0,0), its first element: must survive 3 more
        input[(1 * 4 + 1) * c + 18] = float.NaN; // 8-lane group, window (0,0), its last element
        input[(2 * 4 + 3) * c + 24] = float.NaN; // scalar channel, window (1,1)
        input[(3 * 4 + 0) * c + 15] = float.NaN; // 16-lane group's last lane, window (1,0)
        var output = new float[2 * 2 * c];
        var op = new MaxPool2d(new ConvGeometry(1, 4, 4, c, 2, 2, 2, 0));
        fixed (float* pi = input, po = output)
        {
            op.Bind(pi, po);
            _cpu.Run(op, op.Items);
        }
        Assert.True(float.IsNaN(output[0 * c + 2]));
        Assert.True(float.IsNaN(output[0 * c + 18]));
        Assert.True(float.IsNaN(output[3 * c + 24]));
        Assert.True(float.IsNaN(output[2 * c + 15]));
        Assert.Equal(4, output.Count(float.IsNaN));
    }

    [Fact]
    public void GlobalAvgPool_IsTheMeanOverPixels()
    {
        const int batch = 2, pixels = 49, c = 21;
        var input = Reference.Random(batch * pixels * c, 40);
        var output = new float[batch * c];
        var op = new GlobalAvgPool(batch, pixels, c);
        fixed (float* pi = input, po = output)
        {
            op.Bind(pi, po);
            _cpu.Run(op, op.Items);
        }
        for (var n = 0; n < batch; n++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                var mean = Enumerable.Range(0, pixels).Average(p => (double)input[(n * pixels + p) * c + ch]);
                Assert.Equal(mean, output[n * c + ch], 1e-6);
            }
        }
    }

    [Fact]
    public void Softmax_IsStable_AndSumsToOne()
    {
        float[] logits = [1000f, 1001f, 999f, -1e30f];
        var p = new float[4];
        Softmax.Row(logits, p);
        // Hand-computed: e^-1, e^0, e^-2 normalized.
        var z = Math.Exp(-1) + 1 + Math.Exp(-2);
        Assert.Equal(Math.Exp(-1) / z, p[0], 1e-7);
        Assert.Equal(1 / z, p[1], 1e-7);
        Assert.Equal(Math.Exp(-2) / z, p[2], 1e-7);
        Assert.Equal(0f, p[3]);
    }
}
