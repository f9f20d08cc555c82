using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Tests.TestSupport;
using CudaGenre.Cuda.Tests.Twins;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>
/// Every entry point of <c>kernels/*.cu</c> on the device against its CPU twin (<c>Twins/</c>): compiled through
/// <see cref="KernelCompiler"/> for the device, seeded random inputs uploaded with <see cref="Storage.Encode"/>,
/// launched as <c>kernels/README.md</c> documents (block 256; one case per kernel with a tiny grid so that the
/// grid-stride loops go round), compared bit for bit. Each case table below runs for every storage type. Every
/// comparison is recorded in the GPU report (<see cref="GpuReport"/>).
/// </summary>
[Collection(nameof(GpuUsers))]
public class KernelTwinTests
{
    private static readonly KernelStorage[] Types = [KernelStorage.F32, KernelStorage.F16, KernelStorage.BF16];

    /// <summary>The kernel families: entry-point prefix, file, and whether its names have the layout part (<c>_nhwc</c>).</summary>
    private static readonly (string Prefix, string File, bool Nhwc)[] Families =
    [
        ("depthwise3x3", "depthwise_conv3x3.cu", true),
        ("depthwise3x3w4", "depthwise_conv3x3.cu", true),
        ("depthwise3x3v4", "depthwise_conv3x3.cu", true),
        ("depthwise3x3tile", "depthwise_conv3x3.cu", true),
        ("separable3x3", "separable_conv3x3.cu", true),
        ("bias_act", "bias_act.cu", true),
        ("maxpool2d", "pooling.cu", true),
        ("global_avgpool", "pooling.cu", true),
        ("preprocess", "preprocess.cu", true),
        ("input", "convert.cu", true),
        ("widen", "convert.cu", false),
    ];

    // ---- case tables ------------------------------------------------------------------------------------

    public sealed record DepthwiseCase(string Name, int N, int C, int H, int W, int Stride, bool ReluIn, bool ReluOut, bool Bias, uint? Grid = null);

    private static readonly DepthwiseCase[] DepthwiseCases =
    [
        new("stride 1, bias", 2, 8, 14, 14, 1, ReluIn: false, ReluOut: false, Bias: true),
        new("stride 2, relu in and out", 2, 12, 15, 17, 2, ReluIn: true, ReluOut: true, Bias: true),
        new("null bias, relu out, odd sizes", 1, 7, 9, 5, 1, ReluIn: false, ReluOut: true, Bias: false),
        new("1×1 input, stride 2", 2, 5, 1, 1, 2, ReluIn: false, ReluOut: false, Bias: true),
        new("tiny grid, stride 2", 3, 33, 19, 23, 2, ReluIn: true, ReluOut: false, Bias: true, Grid: 2),
    ];

    /// <summary>The vector kernel's cases: channel counts that are multiples of 4, as it requires.</summary>
    private static readonly DepthwiseCase[] DepthwiseV4Cases =
    [
        new("v4: stride 1, 64 channels, odd width", 2, 64, 9, 13, 1, ReluIn: true, ReluOut: false, Bias: true),
        new("v4: stride 2, relu in and out", 2, 12, 15, 17, 2, ReluIn: true, ReluOut: true, Bias: true),
        new("v4: 4 channels, null bias, relu out", 1, 4, 6, 5, 1, ReluIn: false, ReluOut: true, Bias: false),
        new("v4: 1×1 input, stride 2", 2, 8, 1, 1, 2, ReluIn: false, ReluOut: false, Bias: true),
        new("v4: tiny grid, stride 2", 3, 36, 19, 23, 2, ReluIn: true, ReluOut: false, Bias: true, Grid: 2),
    ];

    public enum Residual
    {
        None,
        Separate,
        InPlace,
    }

    /// <summary>Channel counts off the 16-channel chunk and the 64-channel tile on purpose.</summary>
    public sealed record SeparableCase(string Name, int N, int C, int H, int W, int K, int Stride, bool ReluIn, bool ReluMid, bool ReluOut,
        bool DwBias, Residual Residual, uint? Grid = null);

    private static readonly SeparableCase[] SeparableCases =
    [
        new("Xception middle flow: ReLU in, residual in place", 2, 40, 9, 9, 72, 1, ReluIn: true, ReluMid: false, ReluOut: false, DwBias: false, Residual.InPlace),
        new("stride 2, every bias and ReLU, residual", 2, 19, 11, 13, 33, 2, ReluIn: true, ReluMid: true, ReluOut: true, DwBias: true, Residual.Separate),
        new("exit flow: ReLU out, no residual", 1, 70, 5, 6, 130, 1, ReluIn: false, ReluMid: false, ReluOut: true, DwBias: false, Residual.None),
        new("one channel in and out, 1×1 image", 3, 1, 1, 1, 1, 1, ReluIn: false, ReluMid: false, ReluOut: false, DwBias: true, Residual.None),
        new("tiny grid over 12 tiles", 2, 70, 10, 10, 130, 1, ReluIn: true, ReluMid: false, ReluOut: false, DwBias: false, Residual.Separate, Grid: 3),
    ];

    public enum InPlace
    {
        No,
        OnX,
        OnResidual,
    }

    public sealed record BiasActCase(string Name, int N, int C, int Spatial, bool Scale, bool Shift, bool Residual, bool Relu, InPlace InPlace = InPlace.No, uint? Grid = null);

    private static readonly BiasActCase[] BiasActCases =
    [
        new("folded BN + residual + relu", 2, 16, 49, Scale: true, Shift: true, Residual: true, Relu: true),
        new("bias only, [N, C] matrix", 3, 10, 1, Scale: false, Shift: true, Residual: false, Relu: false),
        new("scale only (null shift), relu", 2, 7, 33, Scale: true, Shift: false, Residual: false, Relu: true),
        new("residual only, no relu", 1, 5, 77, Scale: false, Shift: false, Residual: true, Relu: false),
        new("all null, relu only", 2, 3, 50, Scale: false, Shift: false, Residual: false, Relu: true),
        new("in place on x", 2, 9, 25, Scale: true, Shift: true, Residual: true, Relu: true, InPlace: InPlace.OnX),
        new("in place on residual", 2, 9, 25, Scale: true, Shift: true, Residual: true, Relu: false, InPlace: InPlace.OnResidual),
        new("tiny grid", 4, 13, 121, Scale: true, Shift: true, Residual: true, Relu: true, Grid: 2),
    ];

    public sealed record MaxPoolCase(string Name, int N, int C, int H, int W, int Kernel, int Stride, int Pad, int NaNs = 0, uint? Grid = null);

    private static readonly MaxPoolCase[] MaxPoolCases =
    [
        new("3×3 s2 p1 (ResNet stem)", 2, 8, 17, 15, 3, 2, 1),
        new("2×2 s2 (CNN), odd sizes: floor mode", 2, 6, 9, 13, 2, 2, 0),
        new("3×3 s1 p1", 1, 5, 8, 8, 3, 1, 1),
        new("NaN propagates", 2, 4, 12, 12, 3, 2, 1, NaNs: 12),
        new("tiny grid", 3, 21, 31, 29, 3, 2, 1, Grid: 2),
    ];

    public sealed record AvgPoolCase(string Name, int N, int C, int H, int W, uint? Grid = null);

    private static readonly AvgPoolCase[] AvgPoolCases =
    [
        new("7×7 (ResNet head)", 2, 64, 7, 7),
        new("1×1 spatial", 3, 10, 1, 1),
        new("odd 19×23, C 37", 2, 37, 19, 23),
        new("5×5, 9 channels", 4, 9, 5, 5),
        new("tiny grid", 4, 300, 6, 7, Grid: 1),
    ];

    public sealed record PreprocessCase(string Name, int N, int InWidth, int InHeight, int OutWidth, int OutHeight, int PixelBytes, int RowPadding = 0, int ImagePadding = 0, uint? Grid = null);

    private static readonly PreprocessCase[] PreprocessCases =
    [
        new("RGBA, padded rows, batch 2", 2, 61, 43, 32, 50, 4, RowPadding: 13, ImagePadding: 64),
        new("RGB 432×288 → 224×224 (GTZAN → ResNet)", 1, 432, 288, 224, 224, 3),
        new("RGB upscale, odd sizes, padded", 2, 37, 29, 64, 48, 3, RowPadding: 5, ImagePadding: 7),
        new("same size", 1, 5, 5, 5, 5, 3),
        new("tiny grid, RGBA", 2, 50, 30, 24, 20, 4, Grid: 2),
    ];

    public sealed record ConvertCase(string Name, int N, int C, int Spatial, uint? Grid = null);

    private static readonly ConvertCase[] ConvertCases =
    [
        new("ResNet input 2×3×224×224", 2, 3, 224 * 224),
        new("odd sizes", 3, 5, 7),
        new("tiny grid", 2, 3, 1000, Grid: 1),
    ];

    public static TheoryData<string, KernelStorage> ConvertData => ExpandTypes(ConvertCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> WidenData => ExpandTypes(ConvertCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> DepthwiseW4Data => ExpandTypes(DepthwiseCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> DepthwiseV4Data => ExpandTypes(DepthwiseV4Cases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> SeparableData => ExpandTypes(SeparableCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> DepthwiseData => ExpandTypes(DepthwiseCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> BiasActData => ExpandTypes(BiasActCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> MaxPoolData => ExpandTypes(MaxPoolCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> AvgPoolData => ExpandTypes(AvgPoolCases.Select(c => c.Name));

    public static TheoryData<string, KernelStorage> PreprocessData => ExpandTypes(PreprocessCases.Select(c => c.Name));

    // ---- tests --------------------------------------------------------------------------------------------

    [Fact]
    public void EveryEntryPoint_InTheKernelsFolder_IsComparedWithItsTwin()
    {
        var compared = Families
            .SelectMany(f => Types.Select(t => (f.File, f.Nhwc ? KernelNames.Nhwc(f.Prefix, t) : KernelNames.EntryPoint(f.Prefix, t))))
            .ToList();
        var declared = KernelSources.Names
            .SelectMany(file => CudaSource.EntryPoints(KernelSources.ReadFile(file)).Select(entry => (file, entry)))
            .ToList();
        Assert.Equal(declared.Order(), compared.Order());
    }

    [Theory]
    [MemberData(nameof(DepthwiseData))]
    public void Depthwise3x3_MatchesItsTwin_BitForBit(string name, KernelStorage type) =>
        CheckDepthwise(DepthwiseVariant.Plain, name, type);

    /// <summary>The register-strip variant must give the plain kernel's results bit for bit (the same twin).</summary>
    [Theory]
    [MemberData(nameof(DepthwiseW4Data))]
    public void Depthwise3x3W4_MatchesTheSameTwin_BitForBit(string name, KernelStorage type) =>
        CheckDepthwise(DepthwiseVariant.Strip, name, type);

    /// <summary>The vector variant (4 channels per load) must give the plain kernel's results bit for bit (the same twin).</summary>
    [Theory]
    [MemberData(nameof(DepthwiseV4Data))]
    public void Depthwise3x3V4_MatchesTheSameTwin_BitForBit(string name, KernelStorage type) =>
        CheckDepthwise(DepthwiseVariant.Vector, name, type);

    /// <summary>The shared-memory tile variant must give the plain kernel's results bit for bit (the same twin), also for C off 32.</summary>
    [Theory]
    [MemberData(nameof(DepthwiseW4Data))]
    [MemberData(nameof(DepthwiseV4Data))]
    public void Depthwise3x3Tile_MatchesTheSameTwin_BitForBit(string name, KernelStorage type) =>
        CheckDepthwise(DepthwiseVariant.Tile, name, type);

    private static void CheckDepthwise(DepthwiseVariant variant, string name, KernelStorage type)
    {
        var c = DepthwiseCases.Concat(DepthwiseV4Cases).Single(d => d.Name == name);
        var context = Gpu();
        var seed = Seed(DepthwiseConv3x3Kernels.Operation(variant), name, type);
        var x = TwinTestData.Uniform(seed, c.N * c.C * c.H * c.W);
        var w = TwinTestData.Uniform(seed + 1, c.C * 9, -1f, 1f);
        var bias = c.Bias ? TwinTestData.Uniform(seed + 2, c.C, -0.5f, 0.5f) : null;
        var expected = DepthwiseConv3x3Twin.Run(type, x, w, bias, c.N, c.C, c.H, c.W, c.Stride, c.ReluIn, c.ReluOut);

        using var run = new KernelLaunch(context);
        var dy = run.Output(type, expected.Length);
        var launch = DepthwiseConv3x3Kernels.Launch(variant, type, run.Tensor(type, x).Pointer, run.Tensor(type, w).Pointer,
            run.Floats(bias).PointerOrNull(), dy.Pointer, c.N, c.C, c.H, c.W, c.Stride, c.ReluIn, c.ReluOut);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.C}×{c.H}×{c.W}, grid {grid}", expected, run.Download(type, dy));
    }

    [Theory]
    [MemberData(nameof(SeparableData))]
    public void Separable3x3_MatchesItsTwin_BitForBit(string name, KernelStorage type)
    {
        var c = SeparableCases.Single(d => d.Name == name);
        var context = Gpu();
        var seed = Seed("separable3x3", name, type);
        int outH = DepthwiseConv3x3Twin.OutputSize(c.H, c.Stride), outW = DepthwiseConv3x3Twin.OutputSize(c.W, c.Stride);
        var x = TwinTestData.Uniform(seed, c.N * c.H * c.W * c.C);
        var dw = TwinTestData.Uniform(seed + 1, c.C * 9, -1f, 1f);
        var dwBias = c.DwBias ? TwinTestData.Uniform(seed + 2, c.C, -0.5f, 0.5f) : null;
        var pw = TwinTestData.Uniform(seed + 3, c.K * c.C, -0.5f, 0.5f);
        var pwBias = TwinTestData.Uniform(seed + 4, c.K, -0.5f, 0.5f);
        var residual = c.Residual == Residual.None ? null : TwinTestData.Uniform(seed + 5, c.N * outH * outW * c.K);
        var expected = SeparableConv3x3Twin.Run(type, x, dw, dwBias, pw, pwBias, residual, c.N, c.C, c.H, c.W, c.K, c.Stride, c.ReluIn, c.ReluMid, c.ReluOut);

        using var run = new KernelLaunch(context);
        var dResidual = residual is null ? null : run.Tensor(type, residual);
        var dy = c.Residual == Residual.InPlace ? dResidual! : run.Output(type, expected.Length);
        var launch = SeparableConv3x3Kernels.Launch(type, run.Tensor(type, x).Pointer, run.Tensor(type, dw).Pointer, run.Floats(dwBias).PointerOrNull(),
            run.Tensor(type, pw).Pointer, run.Floats(pwBias).PointerOrNull(), dResidual.PointerOrNull(), dy.Pointer,
            c.N, c.C, c.H, c.W, c.K, c.Stride, c.ReluIn, c.ReluMid, c.ReluOut);
        var entry = launch.EntryPoint;
        var tiles = launch.Grid.X; // one block per tile
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.H}×{c.W}×{c.C} → {c.K}, stride {c.Stride}, {tiles} tiles, grid {grid}", expected, run.Download(type, dy));
    }

    [Theory]
    [MemberData(nameof(ConvertData))]
    public void Input_MatchesItsTwin_BitForBit(string name, KernelStorage type)
    {
        var c = ConvertCases.Single(d => d.Name == name);
        var context = Gpu();
        var x = TwinTestData.Uniform(Seed("input", name, type), c.N * c.C * c.Spatial, -3f, 3f);
        var expected = ConvertTwin.Input(type, x, c.N, c.C, c.Spatial);
        using var run = new KernelLaunch(context);
        var dy = run.Output(type, x.Length);
        var launch = ConvertKernels.Input(type, run.Upload(x).Pointer, dy.Pointer, c.N, c.C, c.Spatial);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.C}×{c.Spatial}, grid {grid}", expected, run.Download(type, dy));
    }

    [Theory]
    [MemberData(nameof(WidenData))]
    public void Widen_MatchesItsTwin_BitForBit(string name, KernelStorage type)
    {
        var c = ConvertCases.Single(d => d.Name == name);
        var context = Gpu();
        var x = TwinTestData.Uniform(Seed("widen", name, type), c.N * c.C * c.Spatial, -3f, 3f);
        var expected = ConvertTwin.Widen(type, x);
        using var run = new KernelLaunch(context);
        var dy = run.Output(KernelStorage.F32, x.Length);
        var launch = ConvertKernels.Widen(type, run.Tensor(type, x).Pointer, dy.Pointer, x.Length);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {x.Length} elements, grid {grid}", expected, run.Download(KernelStorage.F32, dy));
    }

    [Theory]
    [MemberData(nameof(BiasActData))]
    public void BiasAct_MatchesItsTwin_BitForBit(string name, KernelStorage type)
    {
        var c = BiasActCases.Single(d => d.Name == name);
        var context = Gpu();
        var seed = Seed("bias_act", name, type);
        var x = TwinTestData.Uniform(seed, c.N * c.C * c.Spatial);
        var scale = c.Scale ? TwinTestData.Uniform(seed + 1, c.C, 0.25f, 2f) : null;
        var shift = c.Shift ? TwinTestData.Uniform(seed + 2, c.C, -1f, 1f) : null;
        var residual = c.Residual ? TwinTestData.Uniform(seed + 3, x.Length) : null;
        var expected = BiasActTwin.Run(type, x, scale, shift, residual, c.N, c.C, c.Spatial, c.Relu);

        using var run = new KernelLaunch(context);
        var dx = run.Tensor(type, x);
        var dResidual = residual is null ? null : run.Tensor(type, residual);
        var dy = c.InPlace switch
        {
            InPlace.OnX => dx,
            InPlace.OnResidual => dResidual!,
            _ => run.Output(type, x.Length),
        };
        var launch = BiasActKernels.Launch(type, dx.Pointer, run.Floats(scale).PointerOrNull(), run.Floats(shift).PointerOrNull(),
            dResidual.PointerOrNull(), dy.Pointer, c.N, c.C, c.Spatial, c.Relu);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.C}×{c.Spatial}, grid {grid}", expected, run.Download(type, dy));
    }

    [Theory]
    [MemberData(nameof(MaxPoolData))]
    public void MaxPool2d_MatchesItsTwin_BitForBit_AndNaNWins(string name, KernelStorage type)
    {
        var c = MaxPoolCases.Single(d => d.Name == name);
        var context = Gpu();
        var seed = Seed("maxpool2d", name, type);
        var x = TwinTestData.Uniform(seed, c.N * c.C * c.H * c.W);
        var random = new SeededRandom(seed + 1);
        for (var i = 0; i < c.NaNs; i++)
            x[random.NextInt(x.Length)] = float.NaN;
        var expected = PoolingTwin.MaxPool2d(type, x, c.N, c.C, c.H, c.W, c.Kernel, c.Stride, c.Pad);
        if (c.NaNs > 0)
            Assert.Contains(expected, float.IsNaN); // else the case would not test NaN propagation

        using var run = new KernelLaunch(context);
        var dy = run.Output(type, expected.Length);
        var launch = PoolingKernels.MaxPool2d(type, run.Tensor(type, x).Pointer, dy.Pointer, c.N, c.C, c.H, c.W, c.Kernel, c.Stride, c.Pad);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.C}×{c.H}×{c.W}, grid {grid}", expected, run.Download(type, dy));
    }

    [Theory]
    [MemberData(nameof(AvgPoolData))]
    public void GlobalAvgPool_MatchesItsTwin_BitForBit(string name, KernelStorage type)
    {
        var c = AvgPoolCases.Single(d => d.Name == name);
        var context = Gpu();
        var seed = Seed("global_avgpool", name, type);
        var spatial = c.H * c.W;
        var x = TwinTestData.Uniform(seed, c.N * c.C * spatial);
        var expected = PoolingTwin.GlobalAvgPool(type, x, c.N, c.C, spatial);

        using var run = new KernelLaunch(context);
        var dy = run.Output(type, expected.Length);
        var launch = PoolingKernels.GlobalAvgPool(type, run.Tensor(type, x).Pointer, dy.Pointer, c.N, c.C, spatial);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.C}×{c.H}×{c.W}, grid {grid}", expected, run.Download(type, dy));
    }

    [Theory]
    [MemberData(nameof(PreprocessData))]
    public void Preprocess_MatchesItsTwin_BitForBit(string name, KernelStorage type)
    {
        var c = PreprocessCases.Single(d => d.Name == name);
        var context = Gpu();
        var rowPitch = ((long)c.InWidth * c.PixelBytes) + c.RowPadding;
        var imageStride = (rowPitch * c.InHeight) + c.ImagePadding;
        var src = new byte[imageStride * c.N];
        new SeededRandom(Seed("preprocess", name, type)).NextBytes(src); // alpha and padding hold noise too
        var cpu = new ImagePreprocessor(new PreprocessSettings { Width = c.OutWidth, Height = c.OutHeight });
        float[] scale = [.. cpu.ChannelScale], offset = [.. cpu.ChannelOffset];
        var horizontal = AxisTaps.From(new ResizeFilter(c.InWidth, c.OutWidth));
        var vertical = AxisTaps.From(new ResizeFilter(c.InHeight, c.OutHeight));
        var expected = PreprocessTwin.Run(type, src, c.InWidth, c.InHeight, rowPitch, imageStride, c.PixelBytes,
            horizontal, vertical, scale, offset, c.N);

        using var run = new KernelLaunch(context);
        var dy = run.Output(type, expected.Length);
        var launch = PreprocessKernels.Launch(type, run.Upload(src).Pointer, rowPitch, imageStride, c.PixelBytes,
            run.Upload(horizontal.First).Pointer, run.Upload(horizontal.Count).Pointer, run.Upload(horizontal.Weights).Pointer, horizontal.MaxTaps,
            run.Upload(vertical.First).Pointer, run.Upload(vertical.Count).Pointer, run.Upload(vertical.Weights).Pointer, vertical.MaxTaps,
            scale[0], scale[1], scale[2], offset[0], offset[1], offset[2], dy.Pointer, c.N, c.OutHeight, c.OutWidth);
        var entry = launch.EntryPoint;
        var grid = run.Run(launch, c.Grid);
        AssertBitExact(entry, $"{name}; {c.N}×{c.InWidth}×{c.InHeight}×{c.PixelBytes} → {c.OutWidth}×{c.OutHeight}, grid {grid}",
            expected, run.Download(type, dy));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static CudaContext Gpu()
    {
        var context = Requirements.Gpu();
        Requirements.Nvrtc();
        return context;
    }

    private static TheoryData<string, KernelStorage> ExpandTypes(IEnumerable<string> names)
    {
        var data = new TheoryData<string, KernelStorage>();
        foreach (var name in names)
            foreach (var type in Types)
                data.Add(name, type);
        return data;
    }

    /// <summary>A seed fixed by the case (FNV-1a of its description), so every case has its own data.</summary>
    private static ulong Seed(string kernel, string name, KernelStorage type)
    {
        var hash = 14695981039346656037UL;
        foreach (var ch in $"{kernel}|{name}|{type}")
            hash = (hash ^ ch) * 1099511628211UL;
        return hash;
    }

    private static void AssertBitExact(string entry, string what, float[] expected, float[] actual)
    {
        var figures = ErrorFigures.Of(expected, actual);
        GpuReport.Comparison("kernel", entry, what, figures, "bit-exact", figures.Differing);
        if (figures.Differing > 0)
        {
            var i = figures.FirstDiffering;
            Assert.Fail($"{entry}, {what}: {figures.Differing} of {figures.Count} elements differ from the twin " +
                $"(first at {i}: expected {expected[i]:R}, got {actual[i]:R}); max abs {figures.MaxAbs:E3}, max rel {figures.MaxRel:E3}, " +
                $"{figures.NanMismatches} NaN mismatches");
        }
    }
}
