namespace CudaGenre.Engine.Cpu;

/// <summary>How the CPU backend computes its GEMMs (convolutions and linear layers).</summary>
internal enum CpuGemmKind
{
    /// <summary>FP32 weights and FMA sums (<see cref="Gemm"/>).</summary>
    Fp32,

    /// <summary>BF16 weights and activations, FP32 sums with VDPBF16PS (<see cref="Bf16Gemm"/>).</summary>
    Bf16,

    /// <summary>8-bit weights and 7-bit activations, int32 sums with VPMADDUBSW (<see cref="IntegerGemm"/>, <see cref="Int8Format"/>).</summary>
    Int8,

    /// <summary>10-bit weights and activations, int32 sums with VPMADDWD (<see cref="IntegerGemm"/>, <see cref="Int16Format"/>).</summary>
    Int16,
}

/// <summary>The one place where the CPU backend maps a <see cref="Precision"/> to how it computes.</summary>
internal static class CpuPrecision
{
    /// <summary>The GEMM kind for <paramref name="precision"/>, or null with <paramref name="reason"/> when the CPU cannot compute in it.</summary>
    public static CpuGemmKind? TryGemmKind(Precision precision, out string reason)
    {
        reason = "";
        if (!precision.RunsOnCpu)
        {
            reason = $"The CPU backend computes in FP32, INT8, INT16 (or BF16 where the CPU has AVX512_BF16); {precision} needs the CUDA backend.";
            return null;
        }
        switch (precision)
        {
            case Precision.Fp32:
                return CpuGemmKind.Fp32;
            case Precision.Bf16 when Bf16Support.MissingReason is { } missing:
                reason = $"Precision.Bf16 on the CPU backend needs AVX512_BF16: {missing}. Use Precision.Fp32 (or the CUDA backend).{Bf16Support.VariableNote}";
                return null;
            case Precision.Bf16:
                return CpuGemmKind.Bf16;
            case Precision.Int8 or Precision.Int16 when !System.Runtime.Intrinsics.X86.Avx2.IsSupported:
                reason = $"Precision.{precision} on the CPU backend needs AVX2 (its kernels are VPMADDUBSW and VPMADDWD), which this CPU or runtime lacks. Use Precision.Fp32.";
                return null;
            case Precision.Int8:
                return CpuGemmKind.Int8;
            case Precision.Int16:
                return CpuGemmKind.Int16;
            default:
                reason = $"The CPU backend computes in FP32, INT8, INT16 (or BF16 where the CPU has AVX512_BF16); {precision} needs the CUDA backend.";
                return null;
        }
    }

    /// <summary>The GEMM kind for <paramref name="precision"/>; <see cref="NotSupportedException"/> with the reason otherwise.</summary>
    public static CpuGemmKind GemmKind(Precision precision) =>
        TryGemmKind(precision, out var reason) ?? throw new NotSupportedException(reason);

    /// <summary>The <see cref="Precision"/> a GEMM kind computes in.</summary>
    public static Precision Of(CpuGemmKind kind) => kind switch
    {
        CpuGemmKind.Bf16 => Precision.Bf16,
        CpuGemmKind.Int8 => Precision.Int8,
        CpuGemmKind.Int16 => Precision.Int16,
        _ => Precision.Fp32,
    };
}
