using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// The hand-written bindings against NVIDIA's C headers: every [LibraryImport] (entry point, return type, parameter
/// count, order, names, sizes and pointer levels), every mirrored enum member's value, every mirrored struct's size and
/// field offsets. CUDA driver, NVRTC, cuBLAS and cuBLASLt come from castxml's XML of Debian's CUDA 11.8 headers
/// (tools/bindings/install-headers.sh); cuDNN from the committed cuDNN 9 manifest, so that part always runs.
/// See tools/bindings/README.md.
/// </summary>
public class BindingConformanceTests
{
    /// <summary>castxml output file of each header (tools/bindings/install-headers.sh).</summary>
    private static readonly Dictionary<string, string> CudaXml = new()
    {
        ["cuda.h"] = "cuda.xml",
        ["nvrtc.h"] = "nvrtc.xml",
        ["cublas_v2.h"] = "cublas_v2.xml",
        ["cublasLt.h"] = "cublasLt.xml",
    };

    [Fact]
    public void CudaHeaders_MatchTheBindings()
    {
        var folder = Requirements.CudaHeadersXml([.. CudaXml.Values]);
        var headers = CudaXml.ToDictionary(h => h.Key, h => CastXmlReader.Read(Path.Combine(folder, h.Value), h.Key));
        AssertConforms(headers, $"the CUDA 11.8 headers in {folder}");
    }

    [Fact]
    public void CudnnManifest_MatchesTheBindings() =>
        AssertConforms(new Dictionary<string, CDeclarations> { ["cudnn"] = CudnnManifest.Read(CudnnManifest.Path) }, "the cuDNN 9 manifest");

    [Fact]
    public void AllowList_NamesOnlyWhatTheBindingsDeclare()
    {
        var declared = ManagedBindings.ApiClasses.SelectMany(ManagedBindings.Imports).Select(ManagedBindings.EntryPoint)
            .Concat(ManagedBindings.MirroredTypes.Select(t => t.Name))
            .Concat(ManagedBindings.MirroredTypes.Where(t => t.IsEnum).SelectMany(t => Enum.GetNames(t).Select(m => $"{t.Name}.{m}")))
            .ToHashSet(StringComparer.Ordinal);
        var allowList = AllowList.Read(AllowList.Path);
        Assert.DoesNotContain(allowList.Reasons.Keys, name => !declared.Contains(name));
        Assert.DoesNotContain(allowList.Reasons.Values, string.IsNullOrWhiteSpace);
    }

    private static void AssertConforms(IReadOnlyDictionary<string, CDeclarations> headers, string against)
    {
        var comparer = new BindingComparer(headers, AllowList.Read(AllowList.Path));
        comparer.CompareAll();
        TestContext.Current.TestOutputHelper?.WriteLine($"compared {comparer.Summary} with {against}");
        Assert.True(comparer.Functions > 0, $"no binding was compared with {against}");
        if (comparer.Mismatches.Count > 0)
        {
            Assert.Fail($"{comparer.Mismatches.Count} mismatches between the bindings and {against} (compared {comparer.Summary}):\n" +
                string.Join("\n", comparer.Mismatches));
        }
    }
}
