namespace CudaGenre.Cuda.Tests.Twins;

public class ConvertTwinTests
{
    [Fact]
    public void Input_ToNhwc_InterleavesTheChannels_AsComputedByHand()
    {
        // N=1, C=2, HW=3 in NCHW: c0 = [1, 2, 3], c1 = [4, 5, 6] → NHWC (p0 c0, p0 c1, p1 c0, …).
        Assert.Equal([1f, 4, 2, 5, 3, 6], ConvertTwin.Input(KernelStorage.F32, [1, 2, 3, 4, 5, 6], 1, 2, 3));
    }

    [Fact]
    public void Input_RoundsToNearestEven_In16Bits()
    {
        // 1 + 2^-11 lies halfway between two halves (1 and 1 + 2^-10): ties go to the even one, 1.
        // 1 + 3·2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: the even one is 1 + 2^-9.
        float a = 1f + MathF.Pow(2, -11), b = 1f + 3 * MathF.Pow(2, -11);
        Assert.Equal([1f, 1f + MathF.Pow(2, -9)], ConvertTwin.Input(KernelStorage.F16, [a, b], 1, 1, 2));
        // bf16 keeps 8 significant bits: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 → 1.
        Assert.Equal([1f], ConvertTwin.Input(KernelStorage.BF16, [1f + MathF.Pow(2, -8)], 1, 1, 1));
    }

    [Fact]
    public void Widen_IsExact()
    {
        float[] x = [0.1f, -3.75f, 65504f, 1e-7f];
        Assert.Equal(x, ConvertTwin.Widen(KernelStorage.F32, x));
        Assert.Equal((float)(Half)0.1f, ConvertTwin.Widen(KernelStorage.F16, x)[0]);
        Assert.Equal(-3.75f, ConvertTwin.Widen(KernelStorage.BF16, x)[1]);
    }
}
