using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// Whether this process runs the CPU backend's kernels in hardware. They are written with 256-bit vectors and fused
/// multiply-add (<see cref="Vector256"/>), and are fast only where both are hardware instructions: the JIT on an
/// AVX2+FMA CPU, or a NativeAOT build whose instruction set includes them (x86-64-v3; the engine's package sets it
/// for x64 NativeAOT publishes). Elsewhere (a NativeAOT build for plain x86-64, or ARM64) .NET emulates each vector
/// operation lane by lane, and the engine runs 100 to 200 times slower, with the same results.
/// </summary>
public static class CpuKernels
{
    /// <summary>True when the CPU kernels' vector operations are hardware instructions in this process.</summary>
    public static bool IsHardwareAccelerated { get; } = Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>One line for people: how the kernels run here and, when slowly, why and what to do.</summary>
    public static string Describe() => IsHardwareAccelerated
        ? "CPU kernels: 256-bit vectors with FMA, in hardware"
        : $"CPU kernels: SLOW, 256-bit vectors emulated in software ({RuntimeInformation.ProcessArchitecture}, Vector256 accelerated: " +
          $"{Vector256.IsHardwareAccelerated}, FMA: {Fma.IsSupported}), about 100-200x slower than in hardware. On x64 they need an AVX2+FMA " +
          "CPU and, in a NativeAOT build, IlcInstructionSet=x86-64-v3 (or native); other CPUs have no hardware path yet. See docs/publishing.md";
}
