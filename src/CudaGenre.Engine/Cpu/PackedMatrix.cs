namespace CudaGenre.Engine.Cpu;

/// <summary>
/// The right-hand operand B [K, N] of a GEMM (the weights), packed once at load time into column
/// panels of <see cref="Gemm.NR"/> floats: panel p holds columns [p·NR, p·NR + NR) as K consecutive
/// rows of NR floats, zero-padded past N, so the micro-kernel reads it strictly sequentially.
/// </summary>
internal sealed class PackedMatrix
{
    /// <summary>Packs B given row-major as <paramref name="b"/>[k · <paramref name="n"/> + j].</summary>
    public PackedMatrix(ReadOnlySpan<float> b, int k, int n)
    {
        K = k;
        N = n;
        Panels = (n + Gemm.NR - 1) / Gemm.NR;
        Data = GC.AllocateUninitializedArray<float>(RequireShape(b, k, n, (long)Panels * k * Gemm.NR, "floats"), pinned: true);
        for (var p = 0; p < Panels; p++)
        {
            var columns = Math.Min(Gemm.NR, n - p * Gemm.NR);
            var panel = Data.AsSpan(p * k * Gemm.NR, k * Gemm.NR);
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

    /// <summary>The packed values (pinned, so the kernels may hold raw pointers into it).</summary>
    public float[] Data { get; }

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
