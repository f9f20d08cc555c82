namespace CudaGenre.Engine.Cpu;

/// <summary>
/// The right-hand operand B [K, N] of a GEMM (the weights), packed once at load time into column
/// panels of <see cref="Gemm.NR"/> floats: panel p holds columns [p·NR, p·NR + NR) as K consecutive
/// rows of NR floats, zero-padded past N, so the micro-kernel reads it strictly sequentially.
/// </summary>
internal sealed unsafe class PackedMatrix
{
    /// <summary>Packs B given row-major as <paramref name="b"/>[k · <paramref name="n"/> + j].</summary>
    public PackedMatrix(ReadOnlySpan<float> b, int k, int n)
    {
        K = k;
        N = n;
        Panels = (n + Gemm.NR - 1) / Gemm.NR;
        // On a 64-byte line, a panel row of 16 floats is one line and no load of it is split across two.
        var total = RequireShape(b, k, n, (long)Panels * k * Gemm.NR + LineAligned.Slack<float>(), "floats");
        (_storage, _offset) = LineAligned.Allocate<float>(total, zeroed: false);
        for (var p = 0; p < Panels; p++)
        {
            var columns = Math.Min(Gemm.NR, n - p * Gemm.NR);
            var panel = Data.Slice(p * k * Gemm.NR, k * Gemm.NR);
            for (var row = 0; row < k; row++)
            {
                var destination = panel.Slice(row * Gemm.NR, Gemm.NR);
                b.Slice(row * n + p * Gemm.NR, columns).CopyTo(destination);
                destination[columns..].Clear();
            }
        }
    }

    /// <summary>Depth (rows of B).</summary>
    public int K { get; }

    /// <summary>Columns of B (output features).</summary>
    public int N { get; }

    /// <summary>Column panels of <see cref="Gemm.NR"/>.</summary>
    public int Panels { get; }

    private readonly float[] _storage; // pinned, so its address (and the aligned start) never changes
    private readonly int _offset;

    /// <summary>The packed values: panel p's row r at [(p · K + r) · NR].</summary>
    public Span<float> Data => _storage.AsSpan(_offset, Panels * K * Gemm.NR);

    /// <summary>The first packed value, on a 64-byte line (the array is pinned, so the kernels may hold the pointer).</summary>
    public float* Values => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _storage[_offset]);

    /// <summary>
    /// The checks every packed form of B makes before it allocates: B [k, n] given row-major as <paramref name="b"/>,
    /// k, n ≥ 1, and its <paramref name="packed"/> elements (<paramref name="unit"/>) within one array. Returns that length.
    /// </summary>
    public static int RequireShape(ReadOnlySpan<float> b, int k, int n, long packed, string unit)
    {
        var length = b.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (length != (long)k * n)
        {
            throw new ArgumentException($"B has {length} values; expected {k}×{n}.", nameof(b));
        }
        if (packed > Array.MaxLength)
        {
            throw new ArgumentException($"B of {k}×{n} needs {packed} packed {unit}, more than one array holds.", nameof(b));
        }
        return (int)packed;
    }
}

/// <summary>
/// Pinned arrays whose used part starts on a 64-byte cache line. An array's elements start 16 bytes into a line, so
/// every 64-byte row of a packed panel straddled two lines: one of the two 256-bit loads of each row, and every 512-bit
/// load, was split (the 1×1 2048→512 GEMM of ResNet50's 7×7 layers ran 51 → 68 GFLOP/s on one Zen 3 core once aligned).
/// </summary>
internal static unsafe class LineAligned
{
    private const int LineBytes = 64;

    /// <summary>Elements of slack an array needs to start its used part on a line.</summary>
    public static int Slack<T>() where T : unmanaged => LineBytes / sizeof(T);

    /// <summary>
    /// A pinned array of <paramref name="total"/> elements (the used length plus <see cref="Slack{T}"/>, checked by the
    /// caller against the largest array) whose used part starts at <c>Offset</c>, on a 64-byte line (the array never
    /// moves, so neither does that line). <paramref name="zeroed"/>: whether the elements start as zero.
    /// </summary>
    public static (T[] Storage, int Offset) Allocate<T>(int total, bool zeroed) where T : unmanaged
    {
        var storage = zeroed ? GC.AllocateArray<T>(total, pinned: true) : GC.AllocateUninitializedArray<T>(total, pinned: true);
        var first = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref storage[0]);
        return (storage, (int)((LineBytes - (first & (LineBytes - 1))) % LineBytes / sizeof(T)));
    }
}
