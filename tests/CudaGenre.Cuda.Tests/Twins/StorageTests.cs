using CudaGenre.Core;

namespace CudaGenre.Cuda.Tests.Twins;

public class StorageTests
{
    [Theory]
    [InlineData(1f + (1f / 2048), 1f)] // a tie (half an ulp of 2^-10) goes to the even neighbour, 1
    [InlineData(1f + (3f / 2048), 1f + (1f / 512))] // a tie whose even neighbour is above
    [InlineData(1f + (1f / 2048) + (1f / 65536), 1f + (1f / 1024))] // just over the tie rounds up
    [InlineData(65504f, 65504f)] // the largest binary16
    [InlineData(65519f, 65504f)] // below the overflow threshold 65520
    [InlineData(65520f, float.PositiveInfinity)] // the threshold itself is a tie to "even" infinity
    [InlineData(-65520f, float.NegativeInfinity)]
    [InlineData(2.9802322e-8f, 0f)] // 2^-25 is half the smallest subnormal 2^-24: tie to even 0
    [InlineData(4.4703484e-8f, 5.9604645e-8f)] // 1.5·2^-25 rounds up to 2^-24
    public void Half_RoundsToNearestEven(float x, float expected) =>
        Assert.Equal(expected, Storage.Round(KernelStorage.F16, x));

    [Theory]
    [InlineData(1f + (1f / 256), 1f)] // bf16 has 7 mantissa bits: 2^-8 is a tie at 1, goes to even 1
    [InlineData(1f + (3f / 256), 1f + (1f / 64))] // a tie whose even neighbour is above
    [InlineData(1f + (1f / 256) + (1f / 1048576), 1f + (1f / 128))] // just over the tie
    [InlineData(3.3895314e38f, 3.3895314e38f)] // the largest bfloat16, 0x7F7F
    [InlineData(float.MaxValue, float.PositiveInfinity)]
    [InlineData(-float.MaxValue, float.NegativeInfinity)]
    public void Bf16_RoundsToNearestEven(float x, float expected) =>
        Assert.Equal(expected, Storage.Round(KernelStorage.BF16, x));

    [Theory]
    [InlineData(0x000A8000u, 0x000Au)] // subnormal tie, even upper half stays
    [InlineData(0x000B8000u, 0x000Cu)] // subnormal tie, odd upper half goes up
    [InlineData(0x000AE398u, 0x000Bu)] // 1e-39: more than half, up
    [InlineData(0x3F807FFFu, 0x3F80u)] // just under the tie above 1
    [InlineData(0x7F7FFFFFu, 0x7F80u)] // float.MaxValue overflows to +inf
    public void Bf16_RoundsBitPatterns(uint bits, uint expected) =>
        Assert.Equal((ushort)expected, Bf16.FromFloat(BitConverter.UInt32BitsToSingle(bits)));

    [Fact]
    public void Bf16_NaNStaysNaN_KeepsItsSign_AndSignedZeroSurvives()
    {
        Assert.True(float.IsNaN(Bf16.ToFloat(Bf16.FromFloat(float.NaN))));
        var negativeNaN = BitConverter.UInt32BitsToSingle(0xFF800001u); // a signalling NaN whose payload is all in the dropped bits
        Assert.Equal(0xFFC0, Bf16.FromFloat(negativeNaN));
        Assert.Equal(0x8000, Bf16.FromFloat(-0f));
        Assert.Equal(0x3F80, Bf16.FromFloat(1f));
    }

    [Fact]
    public void RandomValues_RoundToANearestNeighbour_WithTiesToEven()
    {
        // Independent of the conversion code: the result must be a representable neighbour with the
        // smallest distance, and on a tie the one with an even last mantissa bit.
        var random = new SeededRandom(11);
        for (var i = 0; i < 20000; i++)
        {
            // From binary16 subnormals (below 2^-14) to near its largest value; zeros and infinities
            // have a missing neighbour, so they are left to the hand-written cases above.
            var x = (float)(random.Gaussian(0, 1) * Math.Pow(2, random.NextInt(28) - 16));
            if (Math.Abs(x) < 1e-6f || Math.Abs(x) > 60000f)
                continue;
            var b = Bf16.FromFloat(x);
            CheckNearest(x, Bf16.ToFloat(b), Bf16.ToFloat((ushort)(b - 1)), Bf16.ToFloat((ushort)(b + 1)), (b & 1) == 0);
            var h = (Half)x;
            var hb = BitConverter.HalfToUInt16Bits(h);
            CheckNearest(x, (float)h, (float)BitConverter.UInt16BitsToHalf((ushort)(hb - 1)), (float)BitConverter.UInt16BitsToHalf((ushort)(hb + 1)), (hb & 1) == 0);
        }

        static void CheckNearest(float x, float r, float below, float above, bool even)
        {
            double d = Math.Abs((double)x - r), d1 = Math.Abs((double)x - below), d2 = Math.Abs((double)x - above);
            Assert.True(d <= d1 && d <= d2, $"{x:R} → {r:R}, but {below:R} or {above:R} is nearer");
            if (d == d1 || d == d2)
                Assert.True(even, $"{x:R} is a tie and went to {r:R}, which is odd");
        }
    }

    [Fact]
    public void Encode_WritesLittleEndianElements_AndDecodeInvertsIt()
    {
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 }, Storage.Encode(KernelStorage.F32, [1f, -2f]));
        Assert.Equal(new byte[] { 0x00, 0x3C, 0x00, 0xC0 }, Storage.Encode(KernelStorage.F16, [1f, -2f]));
        Assert.Equal(new byte[] { 0x80, 0x3F, 0x00, 0xC0 }, Storage.Encode(KernelStorage.BF16, [1f, -2f]));

        var values = TwinTestData.Uniform(5, 257, -100, 100);
        foreach (var type in new[] { KernelStorage.F32, KernelStorage.F16, KernelStorage.BF16 })
        {
            var decoded = Storage.Decode(type, Storage.Encode(type, values));
            for (var i = 0; i < values.Length; i++)
                Assert.Equal(Storage.Round(type, values[i]), decoded[i]);
        }
        Assert.Throws<ArgumentException>(() => Storage.Decode(KernelStorage.F16, new byte[3]));
    }

    [Fact]
    public void NhwcIndex_FollowsTheDocumentedFormula()
    {
        // N=2, C=3, H=4, W=5; element (1, 2, 3, 4) is the last; (0, 1, 0, 0) is the second (channels innermost).
        Assert.Equal((((((1 * 4) + 3) * 5) + 4) * 3) + 2, Storage.NhwcIndex(1, 2, 3, 4, 3, 4, 5));
        Assert.Equal(119, Storage.NhwcIndex(1, 2, 3, 4, 3, 4, 5));
        Assert.Equal(1, Storage.NhwcIndex(0, 1, 0, 0, 3, 4, 5));
        Assert.Equal(3, Storage.NhwcIndex(0, 0, 0, 1, 3, 4, 5));
        Assert.Equal("depthwise3x3_nhwc_bf16", KernelNames.Nhwc("depthwise3x3", KernelStorage.BF16));
    }
}
