namespace CudaGenre.Cuda;

/// <summary>
/// What we know about one CUDA-family library: the sonames to try (most preferred first), the libraries
/// to load before it, the files it loads by bare name at run time, and how a user installs it.
/// </summary>
/// <param name="Name">Logical name (see <see cref="NativeLibraryNames"/>).</param>
/// <param name="DisplayName">The product name, e.g. "cuDNN".</param>
/// <param name="Sonames">File names tried, most preferred first.</param>
/// <param name="LoadFirst">Logical names loaded (best effort) before this one, because it needs them and
/// pip's wheels do not always carry a run path that lets the system loader find them.</param>
/// <param name="CompanionPattern">Files in the same folder that this library opens by bare name later
/// (NVRTC's builtins, cuDNN 9's sub-libraries). When the library was found in a folder that the system
/// loader does not search, they are loaded right after it so that those later opens find them already loaded.
/// "{major}" stands for the major version of the soname that was loaded.</param>
/// <param name="VersionExport">The export queried for the version report.</param>
/// <param name="InstallHint">How to get the library, for error messages.</param>
internal sealed record LibraryInfo(
    string Name, string DisplayName, IReadOnlyList<string> Sonames, IReadOnlyList<string> LoadFirst,
    string? CompanionPattern, string VersionExport, string InstallHint);

/// <summary>The five libraries, in one place.</summary>
internal static class LibraryCatalog
{
    public static readonly IReadOnlyList<LibraryInfo> All =
    [
        new(NativeLibraryNames.Driver, "CUDA driver", ["libcuda.so.1", "libcuda.so"], [], null, "cuDriverGetVersion",
            "libcuda.so.1 comes with the NVIDIA driver, not with the toolkit or pip: install the driver, and in a container " +
            "start it with the NVIDIA container toolkit (--gpus) so that the driver is mounted in."),
        new(NativeLibraryNames.Nvrtc, "NVRTC", ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], [],
            "libnvrtc-builtins.so*", "nvrtcVersion",
            "install NVRTC: `pip install nvidia-cuda-nvrtc` (CUDA 13) or `nvidia-cuda-nvrtc-cu12`, a CUDA toolkit, " +
            "or on Debian `bash tools/install-nvrtc.sh` (libnvrtc11.2)."),
        new(NativeLibraryNames.CublasLt, "cuBLASLt", ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11"], [], null,
            "cublasLtGetProperty", "install cuBLAS: `pip install nvidia-cublas` (CUDA 13) or `nvidia-cublas-cu12`, or a CUDA toolkit."),
        new(NativeLibraryNames.Cublas, "cuBLAS", ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11"], [NativeLibraryNames.CublasLt], null,
            "cublasGetProperty", "install cuBLAS: `pip install nvidia-cublas` (CUDA 13) or `nvidia-cublas-cu12`, or a CUDA toolkit."),
        new(NativeLibraryNames.Cudnn, "cuDNN", ["libcudnn.so.9", "libcudnn.so.8"], [NativeLibraryNames.CublasLt, NativeLibraryNames.Cublas],
            "libcudnn_*.so.{major}", "cudnnGetProperty",
            "install cuDNN 9: `pip install nvidia-cudnn-cu13` (or `nvidia-cudnn-cu12` for CUDA 12)."),
    ];

    /// <summary>The entry for a logical name.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="NativeLibraryNames"/>.</exception>
    public static LibraryInfo Get(string logicalName) =>
        All.FirstOrDefault(l => l.Name == logicalName)
        ?? throw new ArgumentException(
            $"'{logicalName}' is not a CUDA library name; use one of {string.Join(", ", All.Select(l => l.Name))} (NativeLibraryNames).",
            nameof(logicalName));

    /// <summary>Whether <paramref name="name"/> is one of the logical names.</summary>
    public static bool Contains(string name) => All.Any(l => l.Name == name);
}
