using CudaGenre.Core;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Cuda.Tests.Twins;

public class PreprocessTwinTests
{
    private static readonly PreprocessSettings Imagenet224 = new() { Width = 224, Height = 224 };

    private static RgbImage RandomImage(ulong seed, int width, int height)
    {
        var image = new RgbImage(width, height);
        new SeededRandom(seed).NextBytes(image.Pixels);
        return image;
    }

    /// <summary>The twin on one RGB image (NHWC), with the taps and normalization the CPU preprocessor uses.</summary>
    private static float[] Twin(RgbImage image, ImagePreprocessor cpu, KernelStorage storage = KernelStorage.F32) =>
        PreprocessTwin.Run(storage, image.Pixels, image.Width, image.Height, image.Width * 3L, 0, 3,
            AxisTaps.From(new ResizeFilter(image.Width, cpu.Settings.Width)),
            AxisTaps.From(new ResizeFilter(image.Height, cpu.Settings.Height)),
            [.. cpu.ChannelScale], [.. cpu.ChannelOffset], 1);

    /// <summary>The CPU preprocessor's result (NCHW) transposed to the kernel's layout, NHWC.</summary>
    private static float[] CpuNhwc(ImagePreprocessor cpu, RgbImage image) =>
        TensorReference.NchwToNhwc(cpu.Process(image), 1, 3, cpu.Settings.Height, cpu.Settings.Width);

    [Fact]
    public void TwoPixels_ToOne_IsTheirMean_Normalized()
    {
        // 2×1 → 1×1: scale 2, both taps weigh 0.75 before normalization, so 1/2 each.
        var image = new RgbImage(2, 1, [10, 100, 255, 30, 0, 0]);
        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = 1, Height = 1, Mean = [0.5f, 0f, 0.25f], Std = [0.5f, 1f, 0.25f] });
        var y = Twin(image, cpu);
        TwinTestData.AssertClose([(20f / 255 - 0.5f) / 0.5f, 50f / 255, (127.5f / 255 - 0.25f) / 0.25f], y, 1e-6);
    }

    [Theory]
    [InlineData(432, 288, 224, 224)] // a GTZAN spectrogram to the ResNet input: downscale on both axes
    [InlineData(432, 288, 299, 299)] // Xception: downscale one axis, upscale the other
    [InlineData(37, 29, 64, 48)] // upscale
    [InlineData(100, 7, 31, 19)]
    [InlineData(5, 5, 5, 5)] // same size: the identity resize
    public void EqualsImagePreprocessorProcess_BitForBit(int inWidth, int inHeight, int outWidth, int outHeight)
    {
        var image = RandomImage((ulong)((inWidth * 1000) + outWidth), inWidth, inHeight);
        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = outWidth, Height = outHeight });
        var expected = CpuNhwc(cpu, image);
        var y = Twin(image, cpu);
        TwinTestData.AssertClose(expected, y, 1e-5); // the task's bound …
        TwinTestData.AssertBitEqual(expected, y); // … and what the kernel's design promises
    }

    [Fact]
    public void RgbaWithPaddedRows_IgnoresAlphaAndPadding()
    {
        const int W = 61, H = 43, Pitch = (W * 4) + 13;
        var rgb = RandomImage(41, W, H);
        var rgba = new byte[Pitch * H];
        new SeededRandom(42).NextBytes(rgba); // alpha and padding bytes hold noise
        for (var y = 0; y < H; y++)
            for (var x = 0; x < W; x++)
                for (var c = 0; c < 3; c++)
                    rgba[(y * Pitch) + (x * 4) + c] = rgb.Pixels[(((y * W) + x) * 3) + c];

        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = 32, Height = 50 });
        var result = PreprocessTwin.Run(KernelStorage.F32, rgba, W, H, Pitch, 0, 4,
            AxisTaps.From(new ResizeFilter(W, 32)), AxisTaps.From(new ResizeFilter(H, 50)), [.. cpu.ChannelScale], [.. cpu.ChannelOffset], 1);
        TwinTestData.AssertBitEqual(CpuNhwc(cpu, rgb), result);
    }

    [Fact]
    public void Batch_FillsOneSlotPerImage_WithAnImageStride()
    {
        const int W = 50, H = 30, Stride = (W * H * 3) + 100, N = 3;
        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = 24, Height = 20, Mean = [0.1f, 0.2f, 0.3f], Std = [0.3f, 0.2f, 0.1f] });
        var batch = new byte[Stride * N];
        var expected = new List<float>();
        for (var n = 0; n < N; n++)
        {
            var image = RandomImage(50 + (ulong)n, W, H);
            image.Pixels.CopyTo(batch, n * Stride);
            expected.AddRange(CpuNhwc(cpu, image));
        }
        var y = PreprocessTwin.Run(KernelStorage.F32, batch, W, H, W * 3, Stride, 3,
            AxisTaps.From(new ResizeFilter(W, 24)), AxisTaps.From(new ResizeFilter(H, 20)), [.. cpu.ChannelScale], [.. cpu.ChannelOffset], N);
        TwinTestData.AssertBitEqual(expected.ToArray(), y);
    }

    [Fact]
    public void SixteenBit_IsTheRoundedFp32()
    {
        var image = RandomImage(60, 80, 60);
        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = 40, Height = 36 });
        var fp32 = Twin(image, cpu);
        TwinTestData.AssertBitEqual(CpuNhwc(cpu, image), fp32);
        foreach (var storage in new[] { KernelStorage.F16, KernelStorage.BF16 })
            TwinTestData.AssertBitEqual(fp32.Select(v => Storage.Round(storage, v)).ToArray(), Twin(image, cpu, storage));
    }

    [Fact]
    public void ChannelScaleAndOffset_AreTheFoldedNormalization()
    {
        var cpu = new ImagePreprocessor(Imagenet224);
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(1f / (255f * PreprocessSettings.ImageNetStd[c]), cpu.ChannelScale[c]);
            Assert.Equal(-PreprocessSettings.ImageNetMean[c] / PreprocessSettings.ImageNetStd[c], cpu.ChannelOffset[c]);
            // v·scale + offset = (v/255 − mean)/std, up to float rounding.
            Assert.Equal((200 / 255.0 - PreprocessSettings.ImageNetMean[c]) / PreprocessSettings.ImageNetStd[c], (200 * cpu.ChannelScale[c]) + cpu.ChannelOffset[c], 5);
        }
    }

    [Fact]
    public void TapTables_AreResizeFiltersTaps()
    {
        var filter = new ResizeFilter(432, 224);
        var taps = AxisTaps.From(filter);
        Assert.Equal(224, taps.OutputSize);
        for (var i = 0; i < 224; i++)
        {
            var weights = filter.Taps(i, out var first);
            Assert.Equal(first, taps.First[i]);
            Assert.Equal(weights.Length, taps.Count[i]);
            Assert.Equal(weights.ToArray(), taps.Weights.AsSpan(i * taps.MaxTaps, taps.Count[i]).ToArray());
            Assert.All(taps.Weights.AsSpan((i * taps.MaxTaps) + taps.Count[i], taps.MaxTaps - taps.Count[i]).ToArray(), w => Assert.Equal(0f, w));
        }
    }

    [Fact]
    public void BadInput_IsRejected_WithTheProblemNamed()
    {
        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = 4, Height = 4 });
        var h = AxisTaps.From(new ResizeFilter(8, 4));
        var v = AxisTaps.From(new ResizeFilter(8, 4));
        float[] scale = [.. cpu.ChannelScale], offset = [.. cpu.ChannelOffset];

        // Taps made for an 8-pixel axis, used on a 6-pixel image.
        var e = Assert.Throws<ArgumentException>(() => PreprocessTwin.Run(KernelStorage.F32, new byte[6 * 8 * 3], 6, 8, 18, 0, 3, h, v, scale, offset, 1));
        Assert.Contains("horizontal: output pixel", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => PreprocessTwin.Run(KernelStorage.F32, new byte[100], 8, 8, 24, 0, 3, h, v, scale, offset, 1));
        Assert.Contains("src holds 100 bytes", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => PreprocessTwin.Run(KernelStorage.F32, new byte[8 * 8 * 2], 8, 8, 16, 0, 2, h, v, scale, offset, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PreprocessTwin.Run(KernelStorage.F32, new byte[8 * 8 * 3], 8, 8, 20, 0, 3, h, v, scale, offset, 1));
    }
}
