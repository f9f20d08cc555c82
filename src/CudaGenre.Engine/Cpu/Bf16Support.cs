using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// Whether this process can run the CPU backend's BF16 GEMMs (<see cref="Bf16Gemm"/>): Linux on x86-64 (the kernel's
/// machine code is mapped executable through libc and called with the System V ABI), AVX512F/BW/VL as .NET sees them
/// (which also covers the OS saving the ZMM state), and AVX512_BF16 from CPUID, which .NET does not expose.
/// </summary>
internal static class Bf16Support
{
    /// <summary>The environment variable that, set to <c>emulate</c>, runs BF16 on <see cref="Bf16Emulation"/> where the CPU lacks AVX512_BF16.</summary>
    public const string EmulateVariable = "CUDAGENRE_CPU_BF16";

    private static readonly Lazy<string?> Probed = new(Probe);
    private static readonly AsyncLocal<string?> Simulated = new();
    private static readonly AsyncLocal<bool> EmulatedInFlow = new();
    private static readonly string? Requested = Environment.GetEnvironmentVariable(EmulateVariable);
    private static readonly bool EmulationRequested = Requested == "emulate";

    /// <summary>Null when supported (or emulated); otherwise why not, naming the missing feature (fits after "needs …: ").</summary>
    public static string? MissingReason => Simulated.Value ?? (Emulated ? null : Probed.Value);

    /// <summary>
    /// Whether the BF16 GEMMs run on the managed emulation of VDPBF16PS (<see cref="Bf16Emulation"/>): only where the
    /// CPU cannot run the kernel and <see cref="EmulateVariable"/>=emulate (or a test, in its flow) asks for it. The
    /// numerics are the instruction's; the speed is not (slower than FP32), so it is for checking accuracy only.
    /// </summary>
    public static bool Emulated => Probed.Value is not null && (EmulationRequested || EmulatedInFlow.Value);

    /// <summary>Tests: runs BF16 on the emulation in the calling flow (where the CPU lacks the instruction); false ends it.</summary>
    internal static void EmulateInThisFlow(bool on) => EmulatedInFlow.Value = on;

    /// <summary>
    /// Tests: makes <see cref="MissingReason"/> return <paramref name="reason"/> in the calling flow only (an
    /// <see cref="AsyncLocal{T}"/>, so tests running beside it still see the real answer); null ends it.
    /// </summary>
    internal static void SimulateMissing(string? reason) => Simulated.Value = reason;

    /// <summary>What a refusal adds about <see cref="EmulateVariable"/>'s value in this process (empty when unset or understood).</summary>
    public static string VariableNote => NoteOn(Requested);

    /// <summary>
    /// A value other than <c>emulate</c> is not silently ignored: a refusal names it, so a misspelt <c>emulate</c> does
    /// not read as "this CPU cannot" alone.
    /// </summary>
    internal static string NoteOn(string? value) => string.IsNullOrEmpty(value) || value == "emulate"
        ? ""
        : $" ({EmulateVariable}='{value}' was not understood and is ignored: its one value is 'emulate', which runs BF16 on a slow emulation of the instruction, for checking accuracy.)";

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return $"the BF16 kernel runs on Linux x86-64 only; this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}";
        }
        if (!Avx512F.IsSupported || !Avx512BW.IsSupported || !Avx512F.VL.IsSupported)
        {
            var missing = string.Join("/", new[] { ("AVX512F", Avx512F.IsSupported), ("AVX512BW", Avx512BW.IsSupported), ("AVX512VL", Avx512F.VL.IsSupported) }
                .Where(f => !f.Item2).Select(f => f.Item1));
            return $"the CPU lacks {missing} (or the OS, or DOTNET_EnableAVX512=0, disables it)";
        }
        // CPUID leaf 7 sub-leaf 1, EAX bit 5: AVX512_BF16 (Intel SDM vol. 2A, CPUID).
        if (X86Base.CpuId(0, 0).Eax < 7 || (X86Base.CpuId(7, 1).Eax & (1 << 5)) == 0)
        {
            return "the CPU lacks AVX512_BF16 (CPUID.(EAX=7,ECX=1):EAX bit 5; e.g. Intel Cooper Lake/Sapphire Rapids or AMD Zen 4 have it)";
        }
        return Vector512.IsHardwareAccelerated ? null : "the runtime does not use 512-bit vectors here (Vector512.IsHardwareAccelerated is false)";
    }
}

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
