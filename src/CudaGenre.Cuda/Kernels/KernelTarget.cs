using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels;

/// <summary>What NVRTC produces: PTX (for a virtual architecture, JIT-compiled by the driver at load) or CUBIN (machine code for one real architecture).</summary>
public enum KernelImageKind
{
    /// <summary>PTX text for <c>compute_XY</c>; the driver compiles it for the device when the module loads.</summary>
    Ptx,

    /// <summary>Machine code for <c>sm_XY</c>; loads without a JIT, runs only on that architecture.</summary>
    Cubin,
}

/// <summary>A compilation target: the kind of image and the architecture number (80 = compute_80 / sm_80).</summary>
/// <param name="Kind">PTX or CUBIN.</param>
/// <param name="Architecture">XY of compute_XY / sm_XY, e.g. 90.</param>
public readonly record struct KernelTarget(KernelImageKind Kind, int Architecture)
{
    /// <summary>PTX for compute_<paramref name="architecture"/>.</summary>
    public static KernelTarget Ptx(int architecture) => new(KernelImageKind.Ptx, architecture);

    /// <summary>CUBIN for sm_<paramref name="architecture"/>.</summary>
    public static KernelTarget Cubin(int architecture) => new(KernelImageKind.Cubin, architecture);

    /// <summary>The NVRTC option selecting it: "-arch=compute_90" or "-arch=sm_90".</summary>
    public string ArchOption => $"-arch={this}";

    /// <summary>
    /// The best target for a device: CUBIN for its own sm_XY when NVRTC supports it (no JIT at load), else PTX
    /// for the highest compute_XY that NVRTC supports and that is not newer than the device (the driver JITs it).
    /// </summary>
    /// <param name="device">The device's compute capability.</param>
    /// <param name="supportedArchitectures">What NVRTC compiles for (<see cref="Nvrtc.NvrtcCompiler.SupportedArchitectures"/>).</param>
    /// <exception cref="NotSupportedException">The device is older than every architecture this NVRTC supports.</exception>
    public static KernelTarget ForDevice(ComputeCapability device, IReadOnlyList<int> supportedArchitectures)
    {
        ArgumentNullException.ThrowIfNull(supportedArchitectures);
        if (supportedArchitectures.Contains(device.Arch))
            return Cubin(device.Arch);
        var older = supportedArchitectures.Where(a => a <= device.Arch).ToList();
        if (older.Count == 0)
        {
            throw new NotSupportedException(
                $"this NVRTC compiles for architectures {string.Join(", ", supportedArchitectures)}; the device (compute capability {device}) " +
                "is older than all of them. Use an older CUDA toolkit's NVRTC, or a newer GPU.");
        }
        return Ptx(older.Max());
    }

    /// <summary>"compute_90" or "sm_90".</summary>
    public override string ToString() => Kind == KernelImageKind.Ptx ? $"compute_{Architecture}" : $"sm_{Architecture}";
}
