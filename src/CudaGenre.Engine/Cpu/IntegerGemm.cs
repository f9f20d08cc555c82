using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// How an integer GEMM stores and multiplies its operands: the two CPU integer modes differ only here
/// (<see cref="Int8Format"/>, <see cref="Int16Format"/>); packing, tiling and the epilogue are <see cref="IntegerGemm"/>'s.
/// </summary>
internal unsafe interface IIntegerFormat
{
    /// <summary>Bytes of one stored value (1 or 2).</summary>
    static abstract int ElementBytes { get; }

    /// <summary>Depth values per packed group: the k one multiply instruction sums per column (4 or 2).</summary>
    static abstract int Group { get; }

    /// <summary>The largest |quantized weight|.</summary>
    static abstract int MaxWeight { get; }

    /// <summary>The deepest GEMM whose int32 sums cannot overflow.</summary>
    static abstract int MaxDepth { get; }

    /// <summary>Stores quantized weight <paramref name="value"/> at <paramref name="destination"/>.</summary>
    static abstract void StoreWeight(byte* destination, int value);

    /// <summary>
    /// One row of A (<paramref name="k"/> floats) to its stored form, <paramref name="kp"/> values with zeros past K;
    /// its scale and zero point. A row with a NaN or an infinity gets a NaN scale; an all-zero row a scale of 0.
    /// </summary>
    static abstract void QuantizeRow(float* x, int k, int kp, byte* q, out float scale, out int zero);

    /// <summary>
    /// The register tile: C[R, 16] = (Σ_k A[r, k] · B[k, j] − zero[r] · Σ_k B[k, j]) · rowScale[r] · columnScale[j] over
    /// the whole depth (<paramref name="steps"/> groups), A's rows <paramref name="lda"/> bytes apart, then
    /// <paramref name="finish"/> (bias, residual, ReLU) in registers.
    /// </summary>
    static abstract void Kernel<R, TDot>(nint steps, byte* a, int lda, byte* b, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero, in Gemm.TileEpilogue finish)
        where R : struct, IRowCount
        where TDot : struct, IIntegerDot;

    /// <summary>sum + this format's products of <paramref name="a"/> and <paramref name="b"/> in 512-bit vectors (AVX-512BW: the AVX2 chain, twice as wide).</summary>
    static abstract Vector512<int> Dot512(Vector512<int> sum, Vector512<byte> a, Vector512<byte> b);
}

/// <summary>Which instructions an integer GEMM's register tile uses; every choice gives the same int32 sums.</summary>
internal enum IntegerKernel
{
    /// <summary>AVX2 multiply chains, 4 rows × 16 columns (<see cref="Avx2Dot"/>).</summary>
    Avx2,

    /// <summary>AVX-VNNI, 4 × 16 (<see cref="VnniDot"/>).</summary>
    Vnni,

    /// <summary>
    /// AVX-512BW's chains on 4 rows × 32 columns (two panels; <see cref="IIntegerFormat.Dot512"/>); a lone or partial
    /// last panel runs on AVX-VNNI where present, else AVX2.
    /// </summary>
    Avx512,
}

/// <summary>
/// The integer multiply-add of a kernel: the same int32 sums from AVX2's multiply chains (<see cref="Avx2Dot"/>) or
/// from AVX-VNNI's single instructions (<see cref="VnniDot"/>), chosen per GEMM (<see cref="IntegerGemm.Planned"/>).
/// </summary>
internal interface IIntegerDot
{
    /// <summary>sum + Σ of each 4 adjacent u8 × s8 products, per int32 lane.</summary>
    static abstract Vector256<int> Int8(Vector256<int> sum, Vector256<byte> a, Vector256<sbyte> b);

    /// <summary>sum + Σ of each 2 adjacent s16 × s16 products, per int32 lane.</summary>
    static abstract Vector256<int> Int16(Vector256<int> sum, Vector256<short> a, Vector256<short> b);
}

/// <summary>
/// AVX2: VPMADDUBSW (pairs into int16, saturating: exact for <see cref="Int8Format"/>'s 7-bit A, as 2 · 127 · 127 &lt; 2¹⁵)
/// → VPMADDWD with ones → VPADDD; VPMADDWD → VPADDD.
/// </summary>
internal readonly struct Avx2Dot : IIntegerDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Int8(Vector256<int> sum, Vector256<byte> a, Vector256<sbyte> b) =>
        Avx2.Add(sum, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b), Vector256.Create((short)1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Int16(Vector256<int> sum, Vector256<short> a, Vector256<short> b) =>
        Avx2.Add(sum, Avx2.MultiplyAddAdjacent(a, b));
}

/// <summary>AVX-VNNI: VPDPBUSD and VPDPWSSD, one instruction each; the same int32 sums as <see cref="Avx2Dot"/> (neither saturates).</summary>
internal readonly struct VnniDot : IIntegerDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Int8(Vector256<int> sum, Vector256<byte> a, Vector256<sbyte> b) => AvxVnni.MultiplyWideningAndAdd(sum, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Int16(Vector256<int> sum, Vector256<short> a, Vector256<short> b) => AvxVnni.MultiplyWideningAndAdd(sum, a, b);
}

/// <summary>
/// <see cref="CpuGemmKind.Int8"/>: weights in [−127, 127], A per row onto [0, 127] with a zero point (q = round(a · 127 /
/// (max − min)) + zero over [min(a, 0), max(a, 0)], so a padding zero stays exact), a 4 × 16 tile of VPMADDUBSW (four
/// u8 × s8 products into two int16) → VPMADDWD with ones (int32) → VPADDD, or VPDPBUSD with AVX-VNNI. 7 bits for A and 8
/// for B because VPMADDUBSW's pair sums saturate at 32 767 and 2 · 127 · 127 = 32 258 does not (VNNI alone would not
/// need this; one format for both keeps their sums, and so their logits, identical). On the
/// trained models 7/8 gave 2.2–2.4× less logit error than 8/7 on two of three (benchmarks/results/cpu-batch1-2026-12-06.md §14).
/// </summary>
internal readonly unsafe struct Int8Format : IIntegerFormat
{
    /// <summary>The largest quantized value of A.</summary>
    public const int Top = 127;

    public static int ElementBytes => 1;

    public static int Group => 4;

    public static int MaxWeight => 127;

    /// <summary>K sums of at most 127 · 127, and the zero-point term of the same size, stay under 2³¹ for K ≤ 65 536.</summary>
    public static int MaxDepth => 65536;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot512(Vector512<int> sum, Vector512<byte> a, Vector512<byte> b) =>
        sum + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, b.AsSByte()), Vector512.Create((short)1));

    public static void StoreWeight(byte* destination, int value) => *(sbyte*)destination = (sbyte)value;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRow(float* x, int k, int kp, byte* q, out float scale, out int zero)
    {
        var (lo, hi, finite) = IntegerGemm.Range(x, k);
        const float levels = Top;
        // A range too small for its reciprocal (denormal) reads as zero too: its values are below 1e-37.
        if (!finite || !float.IsFinite(levels / (hi - lo)))
        {
            scale = finite ? 0 : float.NaN;
            zero = 0;
            new Span<byte>(q, kp).Clear();
            return;
        }
        scale = (hi - lo) / levels;
        var inverse = levels / (hi - lo);
        zero = Math.Clamp((int)MathF.Round(-lo * inverse), 0, Top);
        var inverseVector = Vector256.Create(inverse);
        var zeroVector = Vector256.Create((float)zero);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var top = Vector256.Create(Top);
        var i = 0;
        for (; i + 32 <= k; i += 32)
        {
            // Round to nearest even (MXCSR's default), cap at 127 (the top can round to 128), and let the two packing
            // steps saturate below at 0; the packs work within 128-bit lanes, and the dword permutation puts the 32
            // bytes back in order.
            var q0 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i), inverseVector, zeroVector)), top);
            var q1 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i + 8), inverseVector, zeroVector)), top);
            var q2 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i + 16), inverseVector, zeroVector)), top);
            var q3 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i + 24), inverseVector, zeroVector)), top);
            var bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(q0, q1), Avx2.PackSignedSaturate(q2, q3));
            Avx2.PermuteVar8x32(bytes.AsInt32(), order).Store((int*)(q + i));
        }
        for (; i < k; i++)
        {
            q[i] = (byte)Math.Clamp((int)MathF.Round(MathF.FusedMultiplyAdd(x[i], inverse, zero)), 0, Top);
        }
        new Span<byte>(q + k, kp - k).Clear(); // B is 0 there
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel<R, TDot>(nint steps, byte* a, int lda, byte* b, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero, in Gemm.TileEpilogue finish)
        where R : struct, IRowCount
        where TDot : struct, IIntegerDot
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (nint k = 0; k < steps; k++)
        {
            var b0 = Vector256.Load(b).AsSByte();
            var b1 = Vector256.Load(b + 32).AsSByte();
            var v = Vector256.Create(*(int*)(a + 4 * k)).AsByte();
            c00 = TDot.Int8(c00, v, b0);
            c01 = TDot.Int8(c01, v, b1);
            if (R.Count > 1)
            {
                v = Vector256.Create(*(int*)(a1 + 4 * k)).AsByte();
                c10 = TDot.Int8(c10, v, b0);
                c11 = TDot.Int8(c11, v, b1);
            }
            if (R.Count > 2)
            {
                v = Vector256.Create(*(int*)(a2 + 4 * k)).AsByte();
                c20 = TDot.Int8(c20, v, b0);
                c21 = TDot.Int8(c21, v, b1);
            }
            if (R.Count > 3)
            {
                v = Vector256.Create(*(int*)(a3 + 4 * k)).AsByte();
                c30 = TDot.Int8(c30, v, b0);
                c31 = TDot.Int8(c31, v, b1);
            }
            b += 64;
        }
        IntegerGemm.StoreTile<R>(c, ldc, c00, c01, c10, c11, c20, c21, c30, c31, columnScale, columnSum, rowScale, rowZero, finish);
    }
}

/// <summary>
/// <see cref="CpuGemmKind.Int16"/>: weights per column and A per row, both symmetric in [−511, 511] (10 bits, no zero
/// point), stored as int16; a 4 × 16 tile of VPMADDWD (two int16 products into int32, exact: no saturation, hence the
/// extra bits) → VPADDD, or VPDPWSSD with AVX-VNNI. As many multiplies per instruction as the INT8 path's pair, but twice B's bytes: 1.4–1.6× its
/// time and 5.7× less error in the prototype (benchmarks/results/raw-2026-12-07-session20/int16-prototype.txt).
/// </summary>
internal readonly unsafe struct Int16Format : IIntegerFormat
{
    /// <summary>The largest |quantized value| of A and B.</summary>
    public const int Top = 511;

    public static int ElementBytes => 2;

    public static int Group => 2;

    public static int MaxWeight => Top;

    /// <summary>K products of at most 511 · 511 stay under 2³¹ for K ≤ 8 192.</summary>
    public static int MaxDepth => 8192;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Dot512(Vector512<int> sum, Vector512<byte> a, Vector512<byte> b) =>
        sum + Avx512BW.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16());

    public static void StoreWeight(byte* destination, int value) => *(short*)destination = (short)value;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRow(float* x, int k, int kp, byte* q, out float scale, out int zero)
    {
        var (lo, hi, finite) = IntegerGemm.Range(x, k);
        var largest = MathF.Max(-lo, hi);
        const float levels = Top;
        zero = 0;
        var values = (short*)q;
        if (!finite || !float.IsFinite(levels / largest))
        {
            scale = finite ? 0 : float.NaN;
            new Span<short>(values, kp).Clear();
            return;
        }
        scale = largest / levels;
        var inverse = levels / largest;
        var inverseVector = Vector256.Create(inverse);
        var i = 0;
        for (; i + 16 <= k; i += 16)
        {
            // Round to nearest even (|x · inverse| ≤ 511 · (1 + 2⁻²³), so no clamp is needed), pack to int16 (within
            // 128-bit lanes) and put the quadwords back in order.
            var q0 = Avx.ConvertToVector256Int32(Vector256.Load(x + i) * inverseVector);
            var q1 = Avx.ConvertToVector256Int32(Vector256.Load(x + i + 8) * inverseVector);
            Avx2.Permute4x64(Avx2.PackSignedSaturate(q0, q1).AsInt64(), 0b11_01_10_00).AsInt16().Store(values + i);
        }
        for (; i < k; i++)
        {
            values[i] = (short)MathF.Round(x[i] * inverse);
        }
        new Span<short>(values + k, kp - k).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel<R, TDot>(nint steps, byte* a, int lda, byte* b, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero, in Gemm.TileEpilogue finish)
        where R : struct, IRowCount
        where TDot : struct, IIntegerDot
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (nint k = 0; k < steps; k++)
        {
            var b0 = Vector256.Load(b).AsInt16();
            var b1 = Vector256.Load(b + 32).AsInt16();
            var v = Vector256.Create(*(int*)(a + 4 * k)).AsInt16();
            c00 = TDot.Int16(c00, v, b0);
            c01 = TDot.Int16(c01, v, b1);
            if (R.Count > 1)
            {
                v = Vector256.Create(*(int*)(a1 + 4 * k)).AsInt16();
                c10 = TDot.Int16(c10, v, b0);
                c11 = TDot.Int16(c11, v, b1);
            }
            if (R.Count > 2)
            {
                v = Vector256.Create(*(int*)(a2 + 4 * k)).AsInt16();
                c20 = TDot.Int16(c20, v, b0);
                c21 = TDot.Int16(c21, v, b1);
            }
            if (R.Count > 3)
            {
                v = Vector256.Create(*(int*)(a3 + 4 * k)).AsInt16();
                c30 = TDot.Int16(c30, v, b0);
                c31 = TDot.Int16(c31, v, b1);
            }
            b += 64;
        }
        IntegerGemm.StoreTile<R>(c, ldc, c00, c01, c10, c11, c20, c21, c30, c31, columnScale, columnSum, rowScale, rowZero, finish);
    }
}

/// <summary>
/// The right-hand operand B [K, N] of an integer GEMM (a convolution's weights), quantized once at load time in
/// <typeparamref name="TFormat"/>: per output column a scale (largest |w| / MaxWeight) and values in [−MaxWeight,
/// MaxWeight], with each column's sum (for A's zero point). Packed in panels of <see cref="PanelColumns"/> columns, each
/// ⌈K/G⌉ rows of 16 × G values (G = the format's group): value G·j + i of row r is B[G·r + i, j]; K is padded to a
/// multiple of G and N to 16 with zeros.
/// </summary>
internal sealed unsafe class IntegerPackedMatrix<TFormat>
    where TFormat : struct, IIntegerFormat
{
    /// <summary>Columns per panel: two ymm of int32 sums.</summary>
    public const int PanelColumns = 16;

    /// <summary>Quantizes and packs B given row-major as <paramref name="b"/>[k · <paramref name="n"/> + j].</summary>
    public IntegerPackedMatrix(ReadOnlySpan<float> b, int k, int n)
    {
        if (k > TFormat.MaxDepth)
        {
            throw new NotSupportedException($"an integer GEMM in this precision takes a depth of at most {TFormat.MaxDepth} (its int32 sums could overflow); this one is {k} deep.");
        }
        K = k;
        N = n;
        DepthPadded = (k + TFormat.Group - 1) / TFormat.Group * TFormat.Group;
        Panels = (n + PanelColumns - 1) / PanelColumns;
        var total = PackedMatrix.RequireShape(b, k, n, (long)Panels * DepthPadded * PanelColumns * TFormat.ElementBytes + LineAligned.Slack<byte>(), "bytes of integer weights");
        (_storage, _offset) = LineAligned.Allocate<byte>(total, zeroed: true);
        _scales = GC.AllocateArray<float>(Panels * PanelColumns, pinned: true);
        _sums = GC.AllocateArray<int>(Panels * PanelColumns, pinned: true);
        var values = Values;
        for (var j = 0; j < n; j++)
        {
            var largest = 0f;
            for (var i = 0; i < k; i++)
            {
                largest = MathF.Max(largest, MathF.Abs(b[i * n + j]));
            }
            if (!float.IsFinite(largest))
            {
                _scales[j] = float.NaN; // a non-finite weight makes its column's outputs NaN, as in FP32
                continue;
            }
            var scale = largest / TFormat.MaxWeight;
            _scales[j] = scale;
            if (scale == 0)
            {
                continue;
            }
            var sum = 0;
            for (var i = 0; i < k; i++)
            {
                var q = Math.Clamp((int)MathF.Round(b[i * n + j] / scale), -TFormat.MaxWeight, TFormat.MaxWeight);
                TFormat.StoreWeight(values + Index(i, j) * TFormat.ElementBytes, q);
                sum += q;
            }
            _sums[j] = sum;
        }
    }

    /// <summary>Depth (rows of B).</summary>
    public int K { get; }

    /// <summary>Columns of B (output features).</summary>
    public int N { get; }

    /// <summary>K rounded up to the format's group.</summary>
    public int DepthPadded { get; }

    /// <summary>Panels of <see cref="PanelColumns"/> columns.</summary>
    public int Panels { get; }

    private readonly byte[] _storage; // pinned, so its address (and the aligned start) never changes
    private readonly int _offset;
    private readonly float[] _scales; // pinned; per column, 0 past N
    private readonly int[] _sums; // pinned; per column, Σ_k of the quantized weights

    /// <summary>The packed values: panel p at byte [p · DepthPadded · 16 · ElementBytes].</summary>
    public byte* Values => (byte*)Unsafe.AsPointer(ref _storage[_offset]);

    /// <summary>Per column: the FP32 value of one quantized step.</summary>
    public float* Scales => (float*)Unsafe.AsPointer(ref _scales[0]);

    /// <summary>Per column: the sum of its quantized weights (for the activations' zero point).</summary>
    public int* ColumnSums => (int*)Unsafe.AsPointer(ref _sums[0]);

    private int Index(int i, int j) => (j / PanelColumns * DepthPadded + i / TFormat.Group * TFormat.Group) * PanelColumns + j % PanelColumns * TFormat.Group + i % TFormat.Group;
}

/// <summary>
/// Integer GEMM C[M, N] = epilogue(A · B), for <see cref="CpuGemmKind.Int8"/> and <see cref="CpuGemmKind.Int16"/>, on the
/// fastest <see cref="IntegerKernel"/> the CPU has (AVX-512BW, AVX-VNNI or AVX2: the same sums).
/// B is <see cref="IntegerPackedMatrix{TFormat}"/> (per output column). A is quantized as it is read, one row (pixel) at a
/// time, with the row's own scale (dynamic quantization: no calibration data); the row block's quantized rows stay in
/// L2 while the tile's panels pass. A 4 × 16 register tile (the format's kernel; 4 × 32 on 512 bits) sums the whole depth at once in int32
/// (exact; B's slices are a quarter or half of FP32's, so a panel's slice of 4 096 deep is 64 or 128 KiB); then
/// C = (Σ − zero · Σ_k B[k, j]) · rowScale · columnScale, and <see cref="Gemm"/>'s epilogue (bias, residual, ReLU).
/// </summary>
internal static unsafe class IntegerGemm
{
    /// <summary>Rows of the register tile: 8 int32 accumulators, with the B vectors, the broadcast and temporaries, at most 13 of AVX2's 16 registers.</summary>
    public const int MR = 4;

    /// <summary>Columns of the register tile (one panel).</summary>
    public const int NR = 16;

    private static readonly AsyncLocal<IntegerKernel?> KernelInFlow = new();

    /// <summary>Whether the 512-bit kernel can run: AVX-512BW, with .NET accelerating 512-bit vectors (not under DOTNET_EnableAVX512=0).</summary>
    public static bool Wide => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;

    /// <summary>Whether this CPU (and runtime) can run <paramref name="kernel"/>.</summary>
    public static bool Supports(IntegerKernel kernel) => kernel switch
    {
        IntegerKernel.Vnni => AvxVnni.IsSupported,
        IntegerKernel.Avx512 => Wide,
        _ => Avx2.IsSupported,
    };

    /// <summary>
    /// The fastest kernel this CPU has, for both formats: 512 bits where it can (on the Zen 5, Xception at batch 1:
    /// INT8 0.83–0.89 and INT16 0.63–0.76 of the 256-bit AVX-VNNI kernel's time in its separable steps — VPDPBUSD and
    /// VPDPWSSD accumulate into their own destination, a chain of their latency through the tile's 8 sums, where the
    /// AVX2 chains end in a 1-cycle add), else AVX-VNNI, else AVX2.
    /// </summary>
    public static IntegerKernel Preferred => Wide ? IntegerKernel.Avx512 : AvxVnni.IsSupported ? IntegerKernel.Vnni : IntegerKernel.Avx2;

    /// <summary>The kernel of the GEMMs planned now: <see cref="Preferred"/> unless a test chose another in its flow. Read on the planning thread.</summary>
    public static IntegerKernel Planned => KernelInFlow.Value ?? Preferred;

    /// <summary>Tests: plans the calling flow's integer GEMMs on <paramref name="kernel"/> (one this CPU supports); null ends it.</summary>
    internal static void UseInThisFlow(IntegerKernel? kernel) => KernelInFlow.Value = kernel;

    /// <summary>Bytes of quantized A a row block may hold.</summary>
    private const int BlockBytes = 96 * 1024;

    /// <summary>The most rows of a row block.</summary>
    private const int MaxRowBlock = 72;

    /// <summary>Rows of a row block whose rows are <paramref name="rowBytes"/> long: a multiple of <see cref="MR"/>, ≤ 72, the block within <see cref="BlockBytes"/>.</summary>
    public static int RowBlock(int rowBytes) => Math.Clamp(BlockBytes / rowBytes / MR * MR, MR, MaxRowBlock);

    /// <summary>Floats of per-worker scratch for a GEMM <paramref name="k"/> deep in <typeparamref name="TFormat"/>: FP32 rows of one register tile, the quantized row block, and each row's scale and zero point.</summary>
    public static int ScratchLength<TFormat>(int k)
        where TFormat : struct, IIntegerFormat
    {
        var rowBytes = checked((k + TFormat.Group - 1) / TFormat.Group * TFormat.Group * TFormat.ElementBytes);
        return checked(MR * k + (RowBlock(rowBytes) * rowBytes + 3) / 4 + 2 * MaxRowBlock);
    }

    /// <summary>How an integer GEMM is cut into tiles: <see cref="Gemm.Tile"/>'s rule with this kernel's row block and 16-column panels (in pairs for the 512-bit kernel).</summary>
    public static GemmTiling Tile(int m, int rowBytes, int n, int workers, IntegerKernel kernel) =>
        GemmTiling.Split(m, RowBlock(rowBytes), (n + NR - 1) / NR, workers, minPanelsPerTile: 4, panelsPerKernel: kernel == IntegerKernel.Avx512 ? 2 : 1);

    /// <summary>Computes one tile of C = epilogue(A · B): the rows of row block tile / columnTiles, the panels of tile % columnTiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTile<TSource, TFormat>(ref TSource a, IntegerPackedMatrix<TFormat> b, float* c, int ldc, in GemmEpilogue epilogue,
        GemmTiling tiling, int tile, float* scratch, IntegerKernel kernel)
        where TSource : struct, IGemmSource
        where TFormat : struct, IIntegerFormat
    {
        var k = a.Depth;
        var kp = b.DepthPadded;
        var rowBytes = kp * TFormat.ElementBytes;
        var rowBlock = RowBlock(rowBytes);
        var (m0, mc) = tiling.RowBlock(tile / tiling.ColumnTiles, a.Rows, rowBlock);
        var p0 = tile % tiling.ColumnTiles * tiling.PanelsPerTile;
        var p1 = Math.Min(b.Panels, p0 + tiling.PanelsPerTile);
        var rows = scratch;
        var block = (byte*)(scratch + MR * k);
        var rowScale = scratch + MR * k + (rowBlock * rowBytes + 3) / 4;
        var rowZero = (int*)(rowScale + MaxRowBlock);

        // Quantize the row block once; every panel of the tile then reads it.
        var inPlace = a.InPlace;
        for (var r0 = 0; r0 < mc; r0 += MR)
        {
            var count = Math.Min(MR, mc - r0);
            float* source;
            long stride;
            if (inPlace != null)
            {
                source = inPlace + (long)(m0 + r0) * a.InPlaceStride;
                stride = a.InPlaceStride;
            }
            else
            {
                a.Pack(m0 + r0, count, 0, k, rows);
                source = rows;
                stride = k;
            }
            for (var r = 0; r < count; r++)
            {
                TFormat.QuantizeRow(source + r * stride, k, kp, block + (long)(r0 + r) * rowBytes, out rowScale[r0 + r], out rowZero[r0 + r]);
            }
        }

        var steps = kp / TFormat.Group;
        var edge = stackalloc float[MR * NR];
        // A lone or partial panel of the 512-bit kernel runs on the 256-bit one.
        var narrow = kernel == IntegerKernel.Avx2 || (kernel == IntegerKernel.Avx512 && !AvxVnni.IsSupported) ? IntegerKernel.Avx2 : IntegerKernel.Vnni;
        var right = (nint)rowBytes * NR; // from one panel to the next
        for (var p = p0; p < p1; p++)
        {
            var n0 = p * NR;
            var columns = Math.Min(NR, b.N - n0);
            var panel = b.Values + (long)p * rowBytes * NR;
            var scales = b.Scales + n0;
            var sums = b.ColumnSums + n0;
            if (kernel == IntegerKernel.Avx512 && p + 1 < p1 && n0 + 2 * NR <= b.N)
            {
                for (var r0 = 0; r0 < mc; r0 += MR)
                {
                    var finish = Gemm.TileEpilogue.For(epilogue, m0 + r0, n0);
                    WideKernel<TFormat>(Math.Min(MR, mc - r0), steps, block + (long)r0 * rowBytes, rowBytes, panel, right,
                        c + (long)(m0 + r0) * ldc + n0, ldc, scales, sums, rowScale + r0, rowZero + r0, finish);
                }
                p++; // two panels done
                continue;
            }
            for (var r0 = 0; r0 < mc; r0 += MR)
            {
                var count = Math.Min(MR, mc - r0);
                var cTile = c + (long)(m0 + r0) * ldc + n0;
                var full = columns == NR;
                var target = full ? cTile : edge;
                var targetStride = full ? ldc : NR;
                var aGroup = block + (long)r0 * rowBytes;
                // A full tile applies the epilogue in registers (no second pass over C); an edge tile after its copy.
                var finish = full ? Gemm.TileEpilogue.For(epilogue, m0 + r0, n0) : default;
                if (narrow == IntegerKernel.Vnni)
                {
                    NarrowKernel<TFormat, VnniDot>(count, steps, aGroup, rowBytes, panel, target, targetStride, scales, sums, rowScale + r0, rowZero + r0, finish);
                }
                else
                {
                    NarrowKernel<TFormat, Avx2Dot>(count, steps, aGroup, rowBytes, panel, target, targetStride, scales, sums, rowScale + r0, rowZero + r0, finish);
                }
                if (!full)
                {
                    for (var r = 0; r < count; r++)
                    {
                        new ReadOnlySpan<float>(edge + r * NR, columns).CopyTo(new Span<float>(cTile + (long)r * ldc, columns));
                    }
                    Gemm.Finish(cTile, ldc, m0 + r0, n0, count, columns, epilogue);
                }
            }
        }
        if (epilogue.Stream)
        {
            Sse.StoreFence(); // the full tiles' non-temporal stores reach memory before the step ends
        }
    }

    /// <summary>The format's 4 × 16 kernel on <paramref name="count"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NarrowKernel<TFormat, TDot>(int count, nint steps, byte* a, int lda, byte* b, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero, in Gemm.TileEpilogue finish)
        where TFormat : struct, IIntegerFormat
        where TDot : struct, IIntegerDot
    {
        switch (count)
        {
            case 4: TFormat.Kernel<Rows4, TDot>(steps, a, lda, b, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
            case 3: TFormat.Kernel<Rows3, TDot>(steps, a, lda, b, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
            case 2: TFormat.Kernel<Rows2, TDot>(steps, a, lda, b, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
            default: TFormat.Kernel<Rows1, TDot>(steps, a, lda, b, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
        }
    }

    /// <summary>The 512-bit 4 × 32 kernel (two full panels, <paramref name="right"/> bytes apart) on <paramref name="count"/> rows.</summary>
    private static void WideKernel<TFormat>(int count, nint steps, byte* a, int lda, byte* b, nint right, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero, in Gemm.TileEpilogue finish)
        where TFormat : struct, IIntegerFormat
    {
        switch (count)
        {
            case 4: WideTile<Rows4, TFormat>(steps, a, lda, b, right, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
            case 3: WideTile<Rows3, TFormat>(steps, a, lda, b, right, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
            case 2: WideTile<Rows2, TFormat>(steps, a, lda, b, right, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
            default: WideTile<Rows1, TFormat>(steps, a, lda, b, right, c, ldc, columnScale, columnSum, rowScale, rowZero, finish); break;
        }
    }

    /// <summary>
    /// R rows × 32 columns: one zmm load is a panel's whole k-group row (16 columns × the group), so the sums of a row's
    /// panel are one zmm whose halves are the 256-bit kernel's two accumulators; the same tile store, once per panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideTile<R, TFormat>(nint steps, byte* a, int lda, byte* b, nint right, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero, in Gemm.TileEpilogue finish)
        where R : struct, IRowCount
        where TFormat : struct, IIntegerFormat
    {
        Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (nint k = 0; k < steps; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + right);
            var v = Vector512.Create(*(int*)(a + 4 * k)).AsByte();
            c00 = TFormat.Dot512(c00, v, b0);
            c01 = TFormat.Dot512(c01, v, b1);
            if (R.Count > 1)
            {
                v = Vector512.Create(*(int*)(a1 + 4 * k)).AsByte();
                c10 = TFormat.Dot512(c10, v, b0);
                c11 = TFormat.Dot512(c11, v, b1);
            }
            if (R.Count > 2)
            {
                v = Vector512.Create(*(int*)(a2 + 4 * k)).AsByte();
                c20 = TFormat.Dot512(c20, v, b0);
                c21 = TFormat.Dot512(c21, v, b1);
            }
            if (R.Count > 3)
            {
                v = Vector512.Create(*(int*)(a3 + 4 * k)).AsByte();
                c30 = TFormat.Dot512(c30, v, b0);
                c31 = TFormat.Dot512(c31, v, b1);
            }
            b += 64;
        }
        StoreTile<R>(c, ldc, c00.GetLower(), c00.GetUpper(), c10.GetLower(), c10.GetUpper(), c20.GetLower(), c20.GetUpper(),
            c30.GetLower(), c30.GetUpper(), columnScale, columnSum, rowScale, rowZero, finish);
        StoreTile<R>(c + NR, ldc, c01.GetLower(), c01.GetUpper(), c11.GetLower(), c11.GetUpper(), c21.GetLower(), c21.GetUpper(),
            c31.GetLower(), c31.GetUpper(), columnScale + NR, columnSum + NR, rowScale, rowZero, finish.Shifted(NR));
    }

    /// <summary>A row's range widened to include 0, and whether all its values are finite (x − x is NaN otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Low, float High, bool Finite) Range(float* x, int k)
    {
        var low = Vector256<float>.Zero;
        var high = Vector256<float>.Zero;
        var finite = Vector256<float>.Zero;
        var i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var v = Vector256.Load(x + i);
            low = Avx.Min(low, v);
            high = Avx.Max(high, v);
            finite += v - v;
        }
        var lo = Math.Min(0f, Math.Min(Math.Min(Math.Min(low[0], low[1]), Math.Min(low[2], low[3])), Math.Min(Math.Min(low[4], low[5]), Math.Min(low[6], low[7]))));
        var hi = Math.Max(0f, Math.Max(Math.Max(Math.Max(high[0], high[1]), Math.Max(high[2], high[3])), Math.Max(Math.Max(high[4], high[5]), Math.Max(high[6], high[7]))));
        var check = Vector256.Sum(finite);
        for (; i < k; i++)
        {
            lo = Math.Min(lo, x[i]);
            hi = Math.Max(hi, x[i]);
            check += x[i] - x[i];
        }
        return (lo, hi, float.IsFinite(check));
    }

    /// <summary>Stores the tile's R rows: (sum − zero · column sum) · rowScale · columnScale, then <paramref name="finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreTile<R>(float* c, int ldc, Vector256<int> c00, Vector256<int> c01, Vector256<int> c10, Vector256<int> c11,
        Vector256<int> c20, Vector256<int> c21, Vector256<int> c30, Vector256<int> c31, float* columnScale, int* columnSum, float* rowScale, int* rowZero,
        in Gemm.TileEpilogue finish)
        where R : struct, IRowCount
    {
        var s0 = Vector256.Load(columnScale);
        var s1 = Vector256.Load(columnScale + 8);
        var sum0 = Vector256.Load(columnSum);
        var sum1 = Vector256.Load(columnSum + 8);
        StoreRow(c, c00, c01, s0, s1, sum0, sum1, rowScale[0], rowZero[0], finish, 0);
        if (R.Count > 1) StoreRow(c + ldc, c10, c11, s0, s1, sum0, sum1, rowScale[1], rowZero[1], finish, 1);
        if (R.Count > 2) StoreRow(c + 2 * ldc, c20, c21, s0, s1, sum0, sum1, rowScale[2], rowZero[2], finish, 2);
        if (R.Count > 3) StoreRow(c + 3 * ldc, c30, c31, s0, s1, sum0, sum1, rowScale[3], rowZero[3], finish, 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<int> left, Vector256<int> right, Vector256<float> s0, Vector256<float> s1,
        Vector256<int> sum0, Vector256<int> sum1, float rowScale, int rowZero, in Gemm.TileEpilogue finish, int row)
    {
        var zero = Vector256.Create(rowZero);
        var scale = Vector256.Create(rowScale);
        var low = Avx.ConvertToVector256Single(Avx2.Subtract(left, Avx2.MultiplyLow(zero, sum0))) * (s0 * scale);
        var high = Avx.ConvertToVector256Single(Avx2.Subtract(right, Avx2.MultiplyLow(zero, sum1))) * (s1 * scale);
        Gemm.StoreRow<Lanes8, Vector256<float>>(c, accumulate: false, low, high, finish, row);
    }
}

/// <summary>One planned integer GEMM as parallel work, like <see cref="GemmWork{TSource}"/>.</summary>
internal sealed unsafe class IntegerGemmWork<TSource, TFormat>(TSource a, IntegerPackedMatrix<TFormat> b, float* c, int ldc, GemmEpilogue epilogue, WorkerScratch scratch, int workers)
    : IParallelWork
    where TSource : struct, IGemmSource
    where TFormat : struct, IIntegerFormat
{
    private TSource _a = a.Depth == b.K ? a : throw new ArgumentException($"A is {a.Depth} deep, B {b.K}.", nameof(a));

    /// <summary>The kernel, chosen when the GEMM is planned.</summary>
    public IntegerKernel Kernel { get; } = IntegerGemm.Planned;

    /// <summary>The tiling used by <see cref="Execute"/> (for the same kernel: both read on the planning thread).</summary>
    public GemmTiling Tiling { get; } = IntegerGemm.Tile(a.Rows, b.DepthPadded * TFormat.ElementBytes, b.N, workers, IntegerGemm.Planned);

    /// <summary>Runs the whole GEMM on <paramref name="cpu"/>.</summary>
    public void Run(CpuWorkers cpu) => cpu.Run(this, Tiling.Count);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker) =>
        IntegerGemm.ComputeTile(ref _a, b, c, ldc, epilogue, Tiling, item, scratch.For(worker), Kernel);
}
