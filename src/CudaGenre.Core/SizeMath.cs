namespace CudaGenre.Core;

/// <summary>
/// The one place sizes, offsets and element counts are computed: in 64 bits, checked, and narrowed to
/// <c>int</c> only where a value must index a .NET array, with an error that says what did not fit. A product
/// of dimensions read from a file or given by a caller never wraps silently.
/// </summary>
public static class SizeMath
{
    /// <summary>a·b in 64 bits.</summary>
    /// <exception cref="OverflowException">The product does not fit in a long.</exception>
    public static long Multiply(long a, long b) => checked(a * b);

    /// <summary>The product of <paramref name="factors"/> in 64 bits (1 for none).</summary>
    /// <exception cref="OverflowException">The product does not fit in a long.</exception>
    public static long Product(params ReadOnlySpan<long> factors)
    {
        long n = 1;
        foreach (var f in factors)
            n = checked(n * f);
        return n;
    }

    /// <summary>a + b in 64 bits.</summary>
    /// <exception cref="OverflowException">The sum does not fit in a long.</exception>
    public static long Add(long a, long b) => checked(a + b);

    /// <summary>
    /// <paramref name="value"/> as an array length or index: 0 ≤ value ≤ <see cref="Array.MaxLength"/>.
    /// </summary>
    /// <param name="value">The size.</param>
    /// <param name="what">What it is, for the message ("the CPU arena of batch 3453 (floats)").</param>
    /// <exception cref="ArgumentOutOfRangeException">It is negative or larger than one .NET array can be.</exception>
    public static int ToArrayLength(long value, string what)
    {
        if (value < 0 || value > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"{what} is {value}, which is not a valid array length (0 to {Array.MaxLength}).");
        return (int)value;
    }
}
