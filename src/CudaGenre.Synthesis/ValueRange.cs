using CudaGenre.Core;

namespace CudaGenre.Synthesis;

/// <summary>
/// A closed range a per-clip value is drawn from, uniformly. Style tables use ranges rather than fixed
/// values so that clips of one genre differ, and neighbouring genres overlap.
/// </summary>
/// <param name="Min">The smallest value drawn.</param>
/// <param name="Max">The largest value drawn; equal to <paramref name="Min"/> for a fixed value.</param>
public readonly record struct ValueRange(double Min, double Max)
{
    /// <summary>A range holding a single value.</summary>
    public static ValueRange Fixed(double value) => new(value, value);

    /// <summary>The middle of the range.</summary>
    public double Mid => (Min + Max) / 2;

    /// <summary>Draws a value uniformly from the range.</summary>
    public double Draw(SeededRandom random) => random.Uniform(Min, Max);

    /// <summary>Whether <paramref name="value"/> lies in the range (ends included).</summary>
    public bool Contains(double value) => value >= Min && value <= Max;
}
