using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Kernels;

/// <summary>The test helper that lists entry points must itself be right, or the compile test proves nothing.</summary>
public class CudaSourceTests
{
    private const string Sample = """
        // extern "C" __global__ void in_a_comment(int x)
        /* extern "C" __global__ void in_a_block_comment(int x) */
        extern "C" __global__ void direct(float* y) { y[0] = 1; }
        extern "C" __global__ void __launch_bounds__(256) bounded(float* y) { }
        template <typename T> __global__ void mangled(T* y) { }
        #define ENTRY(NAME, T, FLAG)                            \
            extern "C" __global__ void NAME(T* y, int n)        \
            {                                                   \
                body<T, (FLAG)>(y, n);                          \
            }
        ENTRY(stamped_f32, float, (1 + 2))
        ENTRY( stamped_f16 , cg_half, 0)
        #undef ENTRY
        #define BOUNDED(NAME, BOUNDS)                           \
            extern "C" __global__ void BOUNDS NAME(float* y) { }
        BOUNDED(unbounded_stamp, )
        BOUNDED(bounded_stamp, __launch_bounds__(128, 2))
        """;

    [Fact]
    public void EntryPoints_IncludeMacroStampedOnes_AndSkipComments()
    {
        Assert.Equal(["direct", "bounded", "stamped_f32", "stamped_f16", "unbounded_stamp", "bounded_stamp"], CudaSource.EntryPoints(Sample));
        // mangled is a __global__ that is not extern "C": counted, so the compile test flags it.
        Assert.Equal(7, CudaSource.GlobalFunctionCount(Sample));
    }

    [Fact]
    public void EntryPointsWithArguments_GiveEachStampTheOtherMacroArguments()
    {
        var entries = CudaSource.EntryPointsWithArguments(Sample).ToDictionary(e => e.Name, e => e.MacroArguments);
        Assert.Null(entries["direct"]);
        Assert.Equal(["float", "(1 + 2)"], entries["stamped_f32"]!);
        Assert.Equal(["cg_half", "0"], entries["stamped_f16"]!);
        Assert.Equal(["__launch_bounds__(128, 2)"], entries["bounded_stamp"]!);
    }
}
