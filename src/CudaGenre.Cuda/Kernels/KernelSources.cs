using System.Reflection;

namespace CudaGenre.Cuda.Kernels;

/// <summary>
/// The CUDA kernel sources of the repository's <c>kernels/</c> folder, embedded in this assembly at build
/// time (resource name = file name). The prepend rule of <c>kernels/precision.cuh</c>: each <c>.cu</c> has no
/// <c>#include</c>; NVRTC gets precision.cuh's text, a newline, then the <c>.cu</c> text. <c>#line</c>
/// directives are added around both parts so that NVRTC's messages cite the right file and line.
/// </summary>
public static class KernelSources
{
    /// <summary>The shared header prepended to every kernel file.</summary>
    public const string PrecisionHeader = "precision.cuh";

    private static readonly Assembly Assembly = typeof(KernelSources).Assembly;

    /// <summary>The embedded <c>.cu</c> file names, sorted (e.g. "depthwise_conv3x3.cu").</summary>
    public static IReadOnlyList<string> Names { get; } =
        Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cu", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>The exact text of an embedded file (<c>.cu</c> or <see cref="PrecisionHeader"/>).</summary>
    /// <exception cref="ArgumentException">No such file is embedded; the message lists those that are.</exception>
    public static string ReadFile(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        using var stream = Assembly.GetManifestResourceStream(fileName)
            ?? throw new ArgumentException(
                $"no kernel source named '{fileName}' is embedded in {Assembly.GetName().Name}; " +
                $"there are: {string.Join(", ", Assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))}. " +
                "Kernel files are taken from kernels/*.cu and kernels/*.cuh at build time.",
                nameof(fileName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The text handed to NVRTC for <paramref name="fileName"/>: precision.cuh, a newline, then the file.</summary>
    public static string GetNvrtcSource(string fileName) => Combine(ReadFile(PrecisionHeader), fileName, ReadFile(fileName));

    /// <summary>The prepend rule for any kernel text (also for sources that are not embedded, e.g. in tests).</summary>
    public static string Combine(string precisionHeader, string fileName, string kernelText)
    {
        ArgumentNullException.ThrowIfNull(precisionHeader);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(kernelText);
        return $"#line 1 \"{PrecisionHeader}\"\n{precisionHeader}\n#line 1 \"{fileName}\"\n{kernelText}";
    }
}
