namespace CudaGenre.Cuda.Driver;

/// <summary>A grid or block size in up to three dimensions (CUDA's <c>dim3</c>); unset dimensions are 1.</summary>
/// <param name="X">Size in x.</param>
/// <param name="Y">Size in y (default 1).</param>
/// <param name="Z">Size in z (default 1).</param>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>A one-dimensional size.</summary>
    public static implicit operator Dim3(uint x) => new(x);

    /// <summary>A one-dimensional size.</summary>
    public static Dim3 FromUInt32(uint x) => new(x);

    /// <summary>Enough blocks of <paramref name="threadsPerBlock"/> to give one thread to each of <paramref name="items"/> (a 1-D grid).</summary>
    public static Dim3 BlocksFor(long items, uint threadsPerBlock)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        ArgumentOutOfRangeException.ThrowIfZero(threadsPerBlock);
        return new Dim3(checked((uint)((items + threadsPerBlock - 1) / threadsPerBlock)));
    }

    /// <summary>"(X, Y, Z)".</summary>
    public override string ToString() => $"({X}, {Y}, {Z})";
}
