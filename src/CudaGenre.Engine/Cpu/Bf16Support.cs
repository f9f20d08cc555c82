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
    /// CPU cannot run the kernel and <see cref="EmulateVariable"/>=emulate asks for it, or where a test asks for it in
    /// its flow (also on a CPU that has the instruction, to compare the two). The numerics are the instruction's; the
    /// speed is not (slower than FP32), so it is for checking accuracy only.
    /// </summary>
    public static bool Emulated => (Probed.Value is not null && EmulationRequested) || EmulatedInFlow.Value;

    /// <summary>Tests: runs BF16 on the emulation in the calling flow, whether or not the CPU has the instruction; false ends it.</summary>
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
