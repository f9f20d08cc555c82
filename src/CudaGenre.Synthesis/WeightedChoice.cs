using CudaGenre.Core;

namespace CudaGenre.Synthesis;

/// <summary>
/// A discrete distribution over options, e.g. which groove or which comping instrument a clip gets.
/// Weights are relative (they need not add up to 1).
/// </summary>
/// <typeparam name="T">The kind of option.</typeparam>
public sealed class WeightedChoice<T>
{
    private readonly T[] _options;
    private readonly double[] _weights;

    /// <summary>Creates a distribution from (option, weight) pairs; weights must be non-negative and not all zero.</summary>
    public WeightedChoice(params (T Option, double Weight)[] options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Length == 0 || options.Any(o => o.Weight < 0) || options.Sum(o => o.Weight) <= 0)
            throw new ArgumentException("A weighted choice needs at least one option with a positive weight.", nameof(options));
        _options = [.. options.Select(o => o.Option)];
        _weights = [.. options.Select(o => o.Weight)];
    }

    /// <summary>The options with their relative weights, in table order.</summary>
    public IEnumerable<(T Option, double Weight)> Options => _options.Zip(_weights);

    /// <summary>The probability of <paramref name="option"/> (summed over equal entries).</summary>
    public double ProbabilityOf(T option)
    {
        var total = _weights.Sum();
        var hit = 0.0;
        for (var i = 0; i < _options.Length; i++)
        {
            if (EqualityComparer<T>.Default.Equals(_options[i], option))
                hit += _weights[i];
        }
        return hit / total;
    }

    /// <summary>Draws one option.</summary>
    public T Draw(SeededRandom random) => _options[random.Pick(_weights)];

    /// <summary>Draws up to <paramref name="count"/> distinct entries (without replacement).</summary>
    public IReadOnlyList<T> DrawDistinct(SeededRandom random, int count)
    {
        var weights = (double[])_weights.Clone();
        var drawn = new List<T>();
        while (drawn.Count < count && weights.Any(w => w > 0))
        {
            var i = random.Pick(weights);
            drawn.Add(_options[i]);
            weights[i] = 0;
        }
        return drawn;
    }
}
