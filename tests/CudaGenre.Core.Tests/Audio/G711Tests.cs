using CudaGenre.Core.Audio;

namespace CudaGenre.Core.Tests.Audio;

public class G711Tests
{
    /// <summary>
    /// ITU-T G.711 μ-law decoding written as the standard's closed form: after inverting the code, sign bit
    /// (set = negative), segment e and step m give (2m + 33)·2^e − 33 units of the 14-bit scale (×4 for 16 bits).
    /// </summary>
    internal static int MuLawByFormula(byte code)
    {
        var u = ~code & 0xFF;
        var e = (u >> 4) & 7;
        var m = u & 15;
        var magnitude = 4 * (((2 * m) + 33) * (1 << e) - 33);
        return (u & 0x80) != 0 ? -magnitude : magnitude;
    }

    /// <summary>
    /// G.711 A-law: after XOR 0x55, sign bit (set = positive), segment e, step m give 2m + 1 (e = 0) or
    /// (2m + 33)·2^(e−1) units of the 13-bit scale (×8 for 16 bits).
    /// </summary>
    internal static int ALawByFormula(byte code)
    {
        var a = code ^ 0x55;
        var e = (a >> 4) & 7;
        var m = a & 15;
        var magnitude = 8 * (e == 0 ? (2 * m) + 1 : ((2 * m) + 33) * (1 << (e - 1)));
        return (a & 0x80) != 0 ? magnitude : -magnitude;
    }

    [Theory]
    [InlineData(0xFF, 0)]
    [InlineData(0x7F, 0)]
    [InlineData(0x80, 32124)]
    [InlineData(0x00, -32124)]
    [InlineData(0xFE, 8)]
    [InlineData(0x7E, -8)]
    [InlineData(0xEF, 132)]
    [InlineData(0x8F, 16764)]
    public void MuLaw_KnownCodes(int code, int expected) => Assert.Equal(expected, SampleDecoder.ExpandMuLaw((byte)code));

    [Theory]
    [InlineData(0xD5, 8)]
    [InlineData(0x55, -8)]
    [InlineData(0xAA, 32256)]
    [InlineData(0x2A, -32256)]
    [InlineData(0xD4, 24)]
    [InlineData(0xC5, 264)]
    public void ALaw_KnownCodes(int code, int expected) => Assert.Equal(expected, SampleDecoder.ExpandALaw((byte)code));

    [Fact]
    public void MuLaw_AllCodes_MatchTheClosedForm()
    {
        for (var c = 0; c < 256; c++)
            Assert.Equal(MuLawByFormula((byte)c), SampleDecoder.ExpandMuLaw((byte)c));
    }

    [Fact]
    public void ALaw_AllCodes_MatchTheClosedForm()
    {
        for (var c = 0; c < 256; c++)
            Assert.Equal(ALawByFormula((byte)c), SampleDecoder.ExpandALaw((byte)c));
    }

    [Fact]
    public void BothLaws_AreOddSymmetricAndMonotonicInMagnitude()
    {
        // Positive μ-law codes run 0xFF (smallest) down to 0x80 (largest); negatives mirror them at code − 0x80.
        for (var c = 0x80; c < 0xFF; c++)
        {
            Assert.True(SampleDecoder.ExpandMuLaw((byte)c) > SampleDecoder.ExpandMuLaw((byte)(c + 1)));
            Assert.Equal(-SampleDecoder.ExpandMuLaw((byte)c), SampleDecoder.ExpandMuLaw((byte)(c - 0x80)));
        }

        var positives = Enumerable.Range(0x80, 128).Select(c => (int)SampleDecoder.ExpandALaw((byte)c)).Order().ToArray();
        Assert.Equal(128, positives.Distinct().Count());
        Assert.All(positives, v => Assert.True(v > 0));
        for (var c = 0x80; c < 0x100; c++)
            Assert.Equal(-SampleDecoder.ExpandALaw((byte)c), SampleDecoder.ExpandALaw((byte)(c - 0x80)));
    }
}
