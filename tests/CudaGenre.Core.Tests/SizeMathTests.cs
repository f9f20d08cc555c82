namespace CudaGenre.Core.Tests;

public class SizeMathTests
{
    [Fact]
    public void Products_AreExact_InSixtyFourBits_AndOverflowThrows_NeverWraps()
    {
        var random = new SeededRandom(15);
        for (var i = 0; i < 200; i++)
        {
            long a = 1 + random.NextInt(int.MaxValue), b = 1 + random.NextInt(1 << 29), c = 1 + random.NextInt(4);
            Assert.Equal((long)((System.Numerics.BigInteger)a * b * c), SizeMath.Product(a, b, c));
        }
        // 65536×16385×4 wraps to 262144 in 32 bits; here it is exact.
        Assert.Equal(4_295_229_440L, SizeMath.Product(65536, 16385, 4));
        Assert.Throws<OverflowException>(() => SizeMath.Product(1L << 40, 1L << 30));
        Assert.Throws<OverflowException>(() => SizeMath.Add(long.MaxValue, 1));
    }

    [Fact]
    public void ToArrayLength_RefusesWhatNoArrayCanHold_NamingIt()
    {
        Assert.Equal(Array.MaxLength, SizeMath.ToArrayLength(Array.MaxLength, "x"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SizeMath.ToArrayLength(4_295_229_440L, "the decoded size"));
        Assert.Contains("the decoded size is 4295229440", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SizeMath.ToArrayLength(-1, "x"));
    }
}
