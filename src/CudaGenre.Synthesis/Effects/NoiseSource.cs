using CudaGenre.Core;

namespace CudaGenre.Synthesis.Effects;

/// <summary>
/// A fast white-noise generator for per-sample use inside instruments (xorshift32, seeded from a
/// <see cref="SeededRandom"/> so it is deterministic too). Statistical quality is ample for audio noise.
/// </summary>
internal struct NoiseSource
{
    private uint _state;

    /// <summary>Seeds from <paramref name="random"/>.</summary>
    public NoiseSource(SeededRandom random)
    {
        _state = (uint)(random.NextUInt64() >> 32) | 1u;
    }

    /// <summary>A uniform sample in [−1, 1).</summary>
    public float Next()
    {
        var x = _state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _state = x;
        return (x * (2f / 4294967296f)) - 1f;
    }
}
