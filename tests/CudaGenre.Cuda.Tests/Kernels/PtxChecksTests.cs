using System.Collections.Concurrent;
using System.Text;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Kernels;

/// <summary>
/// Static checks of the PTX that NVRTC makes of every kernel file, for compute_80 and compute_90, against the launchers
/// (<c>Kernels/Launchers</c>) and the rules of kernels/README.md: each launcher passes exactly the entry point's
/// parameters (count, order, widths); the kernels (all bit-exact) have no FMA the compiler contracted on its own; static shared
/// memory stays within 48 KiB; no launcher's block exceeds <c>__launch_bounds__</c>. No GPU is needed.
/// </summary>
public class PtxChecksTests
{
    /// <summary>Static shared memory a block may have without opting in (<c>cudaFuncAttributeMaxDynamicSharedMemorySize</c> is for dynamic only).</summary>
    private const long SharedLimit = 48 * 1024;

    /// <summary>The entry points whose block kernels/README.md fixes at 256 (their thread roles assume it).</summary>
    private static readonly string[] FixedBlock = ["separable3x3_nhwc_", "depthwise3x3tile_nhwc_"];

    private static readonly ConcurrentDictionary<(string File, int Architecture, bool Fmad), Lazy<IReadOnlyList<PtxEntry>>> Compiled = new();

    [Theory]
    [MemberData(nameof(KernelCompilerTests.KernelFilesAndArchitectures), MemberType = typeof(KernelCompilerTests))]
    public void EveryEntryPoint_HasALauncher_ThatPassesItsParameters_InOrder_WithTheirWidths(string file, int architecture)
    {
        var entries = EntriesOf(file, architecture, fmad: true);
        var launches = EveryLaunch().Where(l => l.File == file).ToList();
        Assert.Equal(entries.Select(e => e.Name).Order(StringComparer.Ordinal), launches.Select(l => l.EntryPoint).Order(StringComparer.Ordinal));

        var problems = new List<string>();
        foreach (var launch in launches)
        {
            var entry = entries.Single(e => e.Name == launch.EntryPoint);
            var passed = Enumerable.Range(0, launch.Arguments.Count).Select(launch.Arguments.SizeOf).ToList();
            var expected = entry.Parameters.Select(p => p.Bytes).ToList();
            if (passed.SequenceEqual(expected))
                continue;
            var at = Enumerable.Range(0, Math.Min(passed.Count, expected.Count)).FirstOrDefault(i => passed[i] != expected[i], Math.Min(passed.Count, expected.Count));
            var detail = at < Math.Min(passed.Count, expected.Count)
                ? $"parameter {at} is {entry.Parameters[at].Type} ({expected[at]} bytes), the launcher passes {passed[at]} bytes"
                : $"the launcher passes {passed.Count} arguments, the entry point has {expected.Count} parameters";
            problems.Add($"{launch.EntryPoint} [compute_{architecture}]: {detail}; launcher [{string.Join(", ", passed)}], PTX [{string.Join(", ", entry.Parameters.Select(p => $"{p.Type} {p.Bytes}"))}]");
        }
        Assert.True(problems.Count == 0, $"launcher arguments differ from the PTX .param lists:\n{string.Join('\n', problems)}");
    }

    [Theory]
    [MemberData(nameof(KernelCompilerTests.KernelFilesAndArchitectures), MemberType = typeof(KernelCompilerTests))]
    public void EveryKernel_HasNoContractedFma_OnlyItsExplicitFmaf(string file, int architecture)
    {
        var contracting = EntriesOf(file, architecture, fmad: true);
        var exact = EntriesOf(file, architecture, fmad: false).ToDictionary(e => e.Name);
        var problems = new List<string>();
        foreach (var entry in contracting)
        {
            // Every kernel is bit-exact against its twin (kernels/README.md), so none may have a contracted FMA.
            var contracted = entry.Fmas - exact[entry.Name].Fmas;
            if (contracted != 0)
            {
                problems.Add($"{entry.Name} [compute_{architecture}]: {entry.Fmas} fma with --fmad=true, {exact[entry.Name].Fmas} with --fmad=false: " +
                    $"the compiler contracted {contracted} multiply-adds (a bit-exact kernel must write every FMA as fmaf, kernels/README.md)");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(KernelCompilerTests.KernelFilesAndArchitectures), MemberType = typeof(KernelCompilerTests))]
    public void EveryEntryPoint_HasAtMost48KiBOfStaticSharedMemory(string file, int architecture)
    {
        var over = EntriesOf(file, architecture, fmad: true).Where(e => e.SharedBytes > SharedLimit)
            .Select(e => $"{e.Name} [compute_{architecture}]: {e.SharedBytes} bytes of static shared memory ({string.Join(", ", e.SharedArrays)}), above the {SharedLimit} a block may have")
            .ToList();
        Assert.True(over.Count == 0, string.Join('\n', over));
    }

    [Theory]
    [MemberData(nameof(KernelCompilerTests.KernelFilesAndArchitectures), MemberType = typeof(KernelCompilerTests))]
    public void EveryLauncherBlock_FitsTheLaunchBounds_AndTheFixedBlocksAre256(string file, int architecture)
    {
        var entries = EntriesOf(file, architecture, fmad: true).ToDictionary(e => e.Name);
        var problems = new List<string>();
        foreach (var launch in EveryLaunch().Where(l => l.File == file))
        {
            var entry = entries[launch.EntryPoint];
            var block = launch.Block.X * launch.Block.Y * launch.Block.Z;
            var where = $"{launch.EntryPoint} [compute_{architecture}]";
            if (entry.MaxThreads is { } max && block > max)
                problems.Add($"{where}: the launcher's block is {block} threads, above its __launch_bounds__ (.maxntid {max})");
            if (FixedBlock.Any(p => launch.EntryPoint.StartsWith(p, StringComparison.Ordinal)) && (block != 256 || entry.MaxThreads != 256))
                problems.Add($"{where}: kernels/README.md says the block must be 256; the launcher's is {block}, .maxntid {entry.MaxThreads?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>The reader must itself be right, or the checks above prove nothing.</summary>
    [Fact]
    public void PtxReader_ReadsParameters_Bounds_SharedMemory_AndFmas()
    {
        const string Sample = """
            .shared .align 4 .b8 module_wide[64];
            .visible .entry first(
            	.param .u64 first_param_0,
            	.param .u32 first_param_1,
            	.param .align 8 .b8 first_param_2[16],
            	.param .f32 first_param_3
            )
            .maxntid 128, 2, 1
            {
            	.shared .align 4 .b8 halo[7680];
            	mov.u64 %rd1, module_wide;
            	st.shared.f32 [%rd1], %f1;
            	fma.rn.f32 %f2, %f1, %f1, %f1;
            	@%p1 fma.rm.f32 %f3, %f1, %f1, %f2;
            }
            .visible .entry second(
            	.param .s64 second_param_0
            )
            {
            	mul.f32 %f1, %f2, %f3;
            }
            """;
        var entries = Ptx.Entries(Sample);
        Assert.Equal(["first", "second"], entries.Select(e => e.Name));
        Assert.Equal([(".u64", 8), (".u32", 4), (".b8", 16), (".f32", 4)], entries[0].Parameters);
        Assert.Equal(256, entries[0].MaxThreads);
        Assert.Equal(7680 + 64, entries[0].SharedBytes);
        Assert.Equal(2, entries[0].Fmas);
        Assert.Equal([(".s64", 8)], entries[1].Parameters);
        Assert.Null(entries[1].MaxThreads);
        Assert.Equal(0, entries[1].SharedBytes);
        Assert.Equal(0, entries[1].Fmas);
    }

    /// <summary>Every launcher, for every storage type (and depthwise variant) it has: one launch per entry point.</summary>
    private static IEnumerable<PreparedLaunch> EveryLaunch()
    {
        // Arbitrary distinct addresses and small sizes: only the arguments' widths and the launch shape matter here.
        const ulong X = 0x1000, W = 0x2000, Bias = 0x3000, Pw = 0x4000, PwBias = 0x5000, Residual = 0x6000, Y = 0x7000;
        foreach (var storage in Enum.GetValues<KernelStorage>())
        {
            yield return DepthwiseConv3x3Kernels.Launch(DepthwiseVariant.Plain, storage, X, W, Bias, Y, 2, 8, 9, 9, 1, true, false);
            foreach (var variant in new[] { DepthwiseVariant.Strip, DepthwiseVariant.Vector, DepthwiseVariant.Tile })
                yield return DepthwiseConv3x3Kernels.Launch(variant, storage, X, W, Bias, Y, 2, 8, 9, 9, 2, false, true);
            yield return SeparableConv3x3Kernels.Launch(storage, X, W, Bias, Pw, PwBias, Residual, Y, 2, 8, 9, 9, 16, 1, true, false, true);
            yield return BiasActKernels.Launch(storage, X, W, Bias, Residual, Y, 2, 8, 81, true);
            yield return PoolingKernels.MaxPool2d(storage, X, Y, 2, 8, 9, 9, 3, 2, 1);
            yield return PoolingKernels.GlobalAvgPool(storage, X, Y, 2, 8, 81);
            yield return PreprocessKernels.Launch(storage, X, 300, 30000, 3, W, W + 8, W + 16, 4, Bias, Bias + 8, Bias + 16, 4,
                1f, 1f, 1f, 0f, 0f, 0f, Y, 2, 32, 32);
            yield return ConvertKernels.Input(storage, X, Y, 2, 3, 81);
            yield return ConvertKernels.Widen(storage, X, Y, 100);
        }
    }

    /// <summary>The entry points of <paramref name="file"/>'s PTX, compiled as the engine compiles it (plus <c>--fmad=false</c> when asked), once per process.</summary>
    private static IReadOnlyList<PtxEntry> EntriesOf(string file, int architecture, bool fmad)
    {
        Requirements.Nvrtc();
        return Compiled.GetOrAdd((file, architecture, fmad), key => new Lazy<IReadOnlyList<PtxEntry>>(() =>
        {
            var compiled = new KernelCompiler(cache: null).Compile(key.File, KernelTarget.Ptx(key.Architecture), key.Fmad ? null : ["--fmad=false"]);
            return Ptx.Entries(Encoding.ASCII.GetString(compiled.Image));
        })).Value;
    }
}
