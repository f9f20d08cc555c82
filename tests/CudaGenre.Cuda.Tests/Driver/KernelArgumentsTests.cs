using System.Runtime.CompilerServices;
using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Tests.Driver;

public class KernelArgumentsTests
{
    [Fact]
    public void Values_AreStoredAtTheirCAlignment()
    {
        var arguments = new KernelArguments().Add(7).Add(0x1122334455667788UL).Add(2.5f).Add((short)3).Add(1.0);
        Assert.Equal(5, arguments.Count);
        Assert.Equal([0, 8, 16, 20, 24], Enumerable.Range(0, 5).Select(arguments.OffsetOf));
        Assert.Equal(7, Unsafe.ReadUnaligned<int>(ref arguments.Values[0]));
        Assert.Equal(0x1122334455667788UL, Unsafe.ReadUnaligned<ulong>(ref arguments.Values[8]));
        Assert.Equal(2.5f, Unsafe.ReadUnaligned<float>(ref arguments.Values[16]));
        Assert.Equal((short)3, Unsafe.ReadUnaligned<short>(ref arguments.Values[20]));
        Assert.Equal(1.0, Unsafe.ReadUnaligned<double>(ref arguments.Values[24]));
    }

    [Fact]
    public void Set_ReplacesInPlace_OnlyWithTheSameSize_AndClear_Reuses()
    {
        var arguments = new KernelArguments().Add(1f).Add(2);
        arguments.Set(0, -4f);
        Assert.Equal(-4f, Unsafe.ReadUnaligned<float>(ref arguments.Values[0]));
        Assert.Throws<ArgumentException>(() => arguments.Set(1, 5L));
        Assert.Throws<ArgumentOutOfRangeException>(() => arguments.Set(2, 5));
        arguments.Clear();
        Assert.Equal(0, arguments.Count);
        arguments.Add(9L);
        Assert.Equal(0, arguments.OffsetOf(0));
    }

    [Fact]
    public void ManyArguments_GrowTheStorage()
    {
        var arguments = new KernelArguments();
        for (var i = 0; i < 100; i++)
            arguments.Add((ulong)i * 3);
        Assert.Equal(100, arguments.Count);
        Assert.Equal(297UL, Unsafe.ReadUnaligned<ulong>(ref arguments.Values[arguments.OffsetOf(99)]));
    }

    [Theory]
    [InlineData(1000, 256, 4)]
    [InlineData(1024, 256, 4)]
    [InlineData(1, 128, 1)]
    public void BlocksFor_CoversEveryItem(long items, uint threads, uint blocks) => Assert.Equal(new Dim3(blocks), Dim3.BlocksFor(items, threads));
}
