namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// The comparer catches each kind of binding bug: the real bindings against the cuDNN manifest with one declaration
/// changed, as if the header said otherwise (tools/bindings/PLANTED.md plants the same bugs in the bindings instead).
/// </summary>
public class BindingComparerTests
{
    private static readonly CDeclarations Cudnn = CudnnManifest.Read(CudnnManifest.Path);

    [Fact]
    public void TheManifestAsCommitted_HasNoMismatch() => Assert.Empty(Compare(Cudnn));

    [Fact]
    public void AnEnumValue_ThatDiffers()
    {
        var status = Cudnn.Enums["cudnnStatus_t"];
        var members = new Dictionary<string, long>(status.Members) { ["CUDNN_STATUS_BAD_PARAM"] = 2999 };
        var mismatch = Assert.Single(Compare(With(enumeration: ("cudnnStatus_t", status with { Members = members }))));
        Assert.Equal("[cuDNN 9.6.0 manifest] enum cudnnStatus_t: CUDNN_STATUS_BAD_PARAM is 2000 in C#, 2999 in the header", mismatch);
    }

    [Fact]
    public void AnInt_WhereTheHeaderHasInt64()
    {
        var function = Cudnn.Functions["cudnnSetTensor4dDescriptor"];
        var parameters = function.Parameters.Select(p => p.Name == "n" ? p with { Type = new CTypeChain(["typedef int64_t", "long int/8"]) } : p).ToList();
        var mismatch = Assert.Single(Compare(With(function: function with { Parameters = parameters })));
        Assert.EndsWith("parameter 4 'n': C# int (4-byte integer), header int64_t (8-byte integer)", mismatch);
    }

    [Fact]
    public void APointerLevel_ThatDiffers()
    {
        var function = Cudnn.Functions["cudnnCreate"];
        var handle = function.Parameters[0] with { Type = new CTypeChain(["*", .. function.Parameters[0].Type.Links]) };
        var mismatch = Assert.Single(Compare(With(function: function with { Parameters = [handle] })));
        Assert.EndsWith("parameter 1 'handle': C# out nint (pointer to 8-byte integer), header cudnnHandle_t** (pointer level 2 to handle)", mismatch);
    }

    [Fact]
    public void ParametersInAnotherOrder()
    {
        var function = Cudnn.Functions["cudnnSetStream"];
        var mismatches = Compare(With(function: function with { Parameters = [.. function.Parameters.Reverse()] }));
        Assert.Contains("[cuDNN 9.6.0 manifest] cudnnSetStream (CudnnApi.cudnnSetStream): parameters in another order: C# (handle, streamId), header (streamId, handle)", mismatches);
    }

    [Fact]
    public void AParameterName_ThatDiffers()
    {
        var function = Cudnn.Functions["cudnnSetConvolutionGroupCount"];
        var parameters = function.Parameters.Select(p => p.Name == "groupCount" ? p with { Name = "groups" } : p).ToList();
        var mismatch = Assert.Single(Compare(With(function: function with { Parameters = parameters })));
        Assert.EndsWith("parameter 2 'groupCount': the header names it 'groups'", mismatch);
    }

    [Fact]
    public void AnEntryPoint_TheHeaderMapsToAVersionedName()
    {
        var functions = Cudnn.Functions.Values.Where(f => f.Name != "cudnnCreate").ToDictionary(f => f.Name);
        var declared = Cudnn.DeclaredFunctions.Where(f => f != "cudnnCreate").Append("cudnnCreate_v2").ToList();
        var mismatch = Assert.Single(Compare(new CDeclarations(Cudnn.Header, functions, declared, Cudnn.Enums, Cudnn.Structs)));
        Assert.Equal("[cuDNN 9.6.0 manifest] cudnnCreate (CudnnApi.cudnnCreate): the header declares no such function (it declares cudnnCreate_v2 instead)", mismatch);
    }

    [Fact]
    public void AStructFieldOffset_ThatDiffers()
    {
        var perf = Cudnn.Structs["cudnnConvolutionFwdAlgoPerf_t"];
        var fields = perf.Fields.Select(f => f.Name == "memory" ? f with { Offset = 24 } : f).ToList();
        var mismatch = Assert.Single(Compare(With(structure: ("cudnnConvolutionFwdAlgoPerf_t", perf with { Fields = fields }))));
        Assert.Equal("[cuDNN 9.6.0 manifest] struct cudnnConvolutionFwdAlgoPerf_t: field memory at offset 16 in C#, 24 in the header", mismatch);
    }

    [Fact]
    public void AnAllowListEntry_TheHeaderNoLongerNeeds()
    {
        var status = Cudnn.Enums["cudnnStatus_t"];
        var members = new Dictionary<string, long>(status.Members) { ["CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE"] = 3014 };
        var mismatch = Assert.Single(Compare(With(enumeration: ("cudnnStatus_t", status with { Members = members }))));
        Assert.Equal("[cuDNN 9.6.0 manifest] allow-list entry cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE is no longer needed: the header declares it", mismatch);
    }

    [Theory]
    [InlineData(new[] { "typedef CUstream", "*", "struct CUstream_st/?" }, "handle")]
    [InlineData(new[] { "typedef cublasLtMatmulDesc_t", "*", "typedef cublasLtMatmulDescOpaque_t", "struct /184" }, "handle")]
    [InlineData(new[] { "*", "typedef cublasLtMatmulHeuristicResult_t", "struct /96" }, "pointer to struct cublasLtMatmulHeuristicResult_t (96 bytes)")]
    [InlineData(new[] { "typedef CUdeviceptr", "typedef CUdeviceptr_v2", "long long unsigned int/8" }, "8-byte integer")]
    [InlineData(new[] { "*", "*", "char/1" }, "pointer level 2 to 1-byte integer")]
    public void TypeChains_ReadAsTheAbiSeesThem(string[] links, string shape) => Assert.Equal(shape, new CTypeChain(links).Shape.ToString());

    private static List<string> Compare(CDeclarations cudnn)
    {
        var comparer = new BindingComparer(new Dictionary<string, CDeclarations> { ["cudnn"] = cudnn }, AllowList.Read(AllowList.Path));
        comparer.CompareAll();
        return [.. comparer.Mismatches];
    }

    /// <summary>The cuDNN manifest with one declaration replaced.</summary>
    private static CDeclarations With(CFunction? function = null, (string Name, CEnumeration Value)? enumeration = null, (string Name, CStruct Value)? structure = null)
    {
        var functions = new Dictionary<string, CFunction>(Cudnn.Functions);
        var enums = new Dictionary<string, CEnumeration>(Cudnn.Enums);
        var structs = new Dictionary<string, CStruct>(Cudnn.Structs);
        if (function is not null)
            functions[function.Name] = function;
        if (enumeration is { } e)
            enums[e.Name] = e.Value;
        if (structure is { } s)
            structs[s.Name] = s.Value;
        return new CDeclarations(Cudnn.Header, functions, Cudnn.DeclaredFunctions, enums, structs);
    }
}
