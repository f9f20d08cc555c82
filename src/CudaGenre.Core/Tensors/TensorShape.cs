namespace CudaGenre.Core.Tensors;

/// <summary>
/// The dimensions of a tensor, outermost first (row-major / C order, as PyTorch and safetensors store
/// them): an image batch is <c>[N, C, H, W]</c>, a Linear weight <c>[out, in]</c>, a scalar <c>[]</c>.
/// Immutable; equality compares the dimensions.
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[] _dims;

    /// <summary>Creates a shape from its dimensions (each ≥ 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public TensorShape(params ReadOnlySpan<int> dims)
    {
        foreach (var d in dims)
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(dims));
        _dims = dims.ToArray();
    }

    /// <summary>The shape of a scalar (rank 0, one element), e.g. <c>num_batches_tracked</c>.</summary>
    public static TensorShape Scalar { get; } = new();

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>The size of dimension <paramref name="axis"/> (0 = outermost).</summary>
    public int this[int axis] => _dims[axis];

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<int> Dims => _dims;

    /// <summary>The dimensions as a span, outermost first.</summary>
    public ReadOnlySpan<int> AsSpan() => _dims;

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    /// <exception cref="OverflowException">The product does not fit in 64 bits.</exception>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in _dims)
                n = checked(n * d);
            return n;
        }
    }

    /// <summary>Formats as <c>[64, 3, 7, 7]</c> (a scalar is <c>[]</c>).</summary>
    public override string ToString() => $"[{string.Join(", ", _dims)}]";

    /// <inheritdoc/>
    public bool Equals(TensorShape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims)
            hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>True when both shapes have the same dimensions.</summary>
    public static bool operator ==(TensorShape? left, TensorShape? right) => left is null ? right is null : left.Equals(right);

    /// <summary>True when the shapes differ.</summary>
    public static bool operator !=(TensorShape? left, TensorShape? right) => !(left == right);
}
