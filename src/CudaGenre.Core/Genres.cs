namespace CudaGenre.Core;

/// <summary>
/// The ten GTZAN genres. A class label is an index into <see cref="Names"/>; the order is canonical
/// (alphabetical, as in GTZAN and every model CudaGenre exports) and never changes.
/// </summary>
public static class Genres
{
    /// <summary>The genre names in canonical label order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"];

    /// <summary>Number of genres (10).</summary>
    public static int Count => Names.Count;

    /// <summary>The label of <paramref name="name"/> (case-insensitive), or -1 when it is not a GTZAN genre.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }

    /// <summary>The name of label <paramref name="label"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The label is not in 0..9.</exception>
    public static string NameOf(int label)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(label, Names.Count);
        return Names[label];
    }
}
