namespace CudaGenre.Synthesis;

/// <summary>
/// A one-bar drum pattern in sixteenth steps, written like a drum-machine grid: for each voice a
/// 16-character string where '.' never plays, '1'…'9' play with probability 0.1…0.9 and 'x' always plays.
/// Hits with lower probability are also played softer (ghost notes).
/// </summary>
public sealed class DrumGroove
{
    /// <summary>Sixteenth steps in one 4/4 bar.</summary>
    public const int Steps = 16;

    private readonly Dictionary<DrumVoice, double[]> _grid;

    /// <summary>Creates a groove from grid strings, one per voice.</summary>
    /// <exception cref="ArgumentException">A grid is not 16 characters of '.', '1'–'9' or 'x'.</exception>
    public DrumGroove(string name, params (DrumVoice Voice, string Grid)[] voices)
    {
        Name = name;
        _grid = [];
        foreach (var (voice, grid) in voices)
            _grid[voice] = ParseGrid(grid);
    }

    /// <summary>The groove's name (for reports), e.g. "four-on-the-floor".</summary>
    public string Name { get; }

    /// <summary>Chance (0–1) that a closed hi-hat hit becomes a fast roll of 32nds or triplets (trap).</summary>
    public double HatRollProbability { get; init; }

    /// <summary>Whether the groove has any hits at all (false for "no drums").</summary>
    public bool IsSilent => _grid.Values.All(g => g.All(p => p == 0));

    /// <summary>The voices the groove uses.</summary>
    public IEnumerable<DrumVoice> Voices => _grid.Keys;

    /// <summary>The probability that <paramref name="voice"/> plays on sixteenth <paramref name="step"/> (0–15).</summary>
    public double Probability(DrumVoice voice, int step)
        => _grid.TryGetValue(voice, out var g) ? g[step] : 0;

    private static double[] ParseGrid(string grid)
    {
        if (grid.Length != Steps)
            throw new ArgumentException($"A groove grid needs {Steps} steps, got \"{grid}\".", nameof(grid));
        var p = new double[Steps];
        for (var i = 0; i < Steps; i++)
        {
            p[i] = grid[i] switch
            {
                '.' => 0,
                'x' => 1,
                >= '1' and <= '9' => (grid[i] - '0') / 10.0,
                _ => throw new ArgumentException($"Unknown grid symbol '{grid[i]}' in \"{grid}\".", nameof(grid)),
            };
        }
        return p;
    }
}
