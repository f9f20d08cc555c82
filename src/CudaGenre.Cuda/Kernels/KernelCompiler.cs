using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Nvrtc;

namespace CudaGenre.Cuda.Kernels;

/// <summary>A compiled kernel image and how it was made.</summary>
/// <param name="SourceName">The kernel file, e.g. "depthwise_conv3x3.cu".</param>
/// <param name="Target">What it was compiled for.</param>
/// <param name="Image">PTX text (no terminating NUL) or CUBIN bytes.</param>
/// <param name="Options">Every NVRTC option used, the -arch option first.</param>
/// <param name="Log">NVRTC's log (warnings); empty when it came from the cache or NVRTC had nothing to say.</param>
/// <param name="CacheOutcome">What the disk cache did.</param>
/// <param name="CacheProblem">Why the cache could not be written (the image is still good), or null.</param>
public sealed record CompiledKernel(
    string SourceName, KernelTarget Target, byte[] Image, IReadOnlyList<string> Options, string Log,
    KernelCacheOutcome CacheOutcome, string? CacheProblem)
{
    /// <summary>Loads the image into <paramref name="context"/> (the driver JIT-compiles PTX for the device).</summary>
    public CudaModule Load(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.LoadModule(Image, SourceName);
    }
}

/// <summary>
/// Compiles kernel sources with NVRTC for a target, through a disk cache. Options: the target's
/// <c>-arch=…</c>, then <see cref="StandardOptions"/> (<c>--std=c++17</c>), then the caller's. Nothing that
/// changes floating-point results is standard: FP32 (exact) mode must add no option; fast modes may add
/// <see cref="FastMathOptions"/>. <c>-lineinfo</c> (for profilers, same code) may be added when profiling.
/// </summary>
public sealed class KernelCompiler
{
    /// <summary>Options every compilation gets.</summary>
    public static IReadOnlyList<string> StandardOptions { get; } = ["--std=c++17"];

    /// <summary>For the fast precision modes only: approximate division, square root and transcendentals, flush to zero.</summary>
    public static IReadOnlyList<string> FastMathOptions { get; } = ["--use_fast_math"];

    /// <summary>Compiles through <paramref name="cache"/>, or without a cache when it is null.</summary>
    public KernelCompiler(KernelCache? cache) => Cache = cache;

    /// <summary>A compiler using the cache at <see cref="KernelCache.DefaultDirectory"/>.</summary>
    public static KernelCompiler CreateDefault() => new(KernelCache.OpenDefault());

    /// <summary>The disk cache, or null.</summary>
    public KernelCache? Cache { get; }

    /// <summary>Compiles an embedded kernel file (<see cref="KernelSources"/>, precision.cuh prepended).</summary>
    /// <param name="sourceName">E.g. "depthwise_conv3x3.cu".</param>
    /// <param name="target">PTX or CUBIN and the architecture (<see cref="KernelTarget.ForDevice"/> picks one for a device).</param>
    /// <param name="extraOptions">Options after the standard ones (none for exact mode).</param>
    /// <exception cref="NvrtcCompilationException">It did not compile; carries the log and the file name.</exception>
    /// <exception cref="CudaLibraryNotFoundException">NVRTC is not found.</exception>
    public CompiledKernel Compile(string sourceName, KernelTarget target, IReadOnlyList<string>? extraOptions = null) =>
        CompileSource(sourceName, KernelSources.GetNvrtcSource(sourceName), target, extraOptions);

    /// <summary>Compiles the given text as is (no header is prepended); <paramref name="sourceName"/> names it in messages and the cache.</summary>
    public CompiledKernel CompileSource(string sourceName, string source, KernelTarget target, IReadOnlyList<string>? extraOptions = null)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(source);
        IReadOnlyList<string> options = [target.ArchOption, .. StandardOptions, .. extraOptions ?? []];

        string? key = null;
        var outcome = KernelCacheOutcome.Disabled;
        if (Cache is not null)
        {
            key = KernelCache.KeyOf(source, options, target, NvrtcCompiler.Version);
            if (Cache.TryRead(sourceName, target, key, out var problem) is { } cached)
                return new CompiledKernel(sourceName, target, cached, options, "", KernelCacheOutcome.Hit, null);
            outcome = problem == "absent" ? KernelCacheOutcome.Miss : KernelCacheOutcome.ReplacedDamaged;
        }

        byte[] image;
        string log;
        using (var program = new NvrtcProgram(source, sourceName))
        {
            program.Compile(options);
            image = target.Kind == KernelImageKind.Cubin ? program.GetCubin() : program.GetPtx();
            log = program.Log;
        }

        string? cacheProblem = null;
        if (Cache is not null)
        {
            try
            {
                Cache.Write(sourceName, target, key!, image);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                cacheProblem = $"could not write {Cache.PathOf(sourceName, target, key!)}: {e.Message}";
            }
        }
        return new CompiledKernel(sourceName, target, image, options, log, outcome, cacheProblem);
    }
}
