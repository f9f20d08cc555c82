namespace CudaGenre.Synthesis.Harmony;

/// <summary>Chord qualities, from power chords to jazz extensions.</summary>
internal enum ChordQuality
{
    Power,
    Major,
    Minor,
    Diminished,
    Major7,
    Minor7,
    Dominant7,
    HalfDiminished7,
    Major9,
    Minor9,
    Dominant9,
    Dominant13,
}

/// <summary>A chord: root pitch class (0 = C … 11 = B) and quality.</summary>
internal readonly record struct Chord(int Root, ChordQuality Quality)
{
    private static readonly int[] PowerIntervals = [0, 7, 12];
    private static readonly int[] MajorIntervals = [0, 4, 7];
    private static readonly int[] MinorIntervals = [0, 3, 7];
    private static readonly int[] DiminishedIntervals = [0, 3, 6];
    private static readonly int[] Major7Intervals = [0, 4, 7, 11];
    private static readonly int[] Minor7Intervals = [0, 3, 7, 10];
    private static readonly int[] Dominant7Intervals = [0, 4, 7, 10];
    private static readonly int[] HalfDiminished7Intervals = [0, 3, 6, 10];
    // Extended voicings leave out the fifth, as pianists do, and put the colour tones on top.
    private static readonly int[] Major9Intervals = [0, 4, 11, 14];
    private static readonly int[] Minor9Intervals = [0, 3, 10, 14];
    private static readonly int[] Dominant9Intervals = [0, 4, 10, 14];
    private static readonly int[] Dominant13Intervals = [0, 4, 10, 14, 21];

    /// <summary>Semitones above the root of each chord tone, ascending.</summary>
    public int[] Intervals => Quality switch
    {
        ChordQuality.Power => PowerIntervals,
        ChordQuality.Major => MajorIntervals,
        ChordQuality.Minor => MinorIntervals,
        ChordQuality.Diminished => DiminishedIntervals,
        ChordQuality.Major7 => Major7Intervals,
        ChordQuality.Minor7 => Minor7Intervals,
        ChordQuality.Dominant7 => Dominant7Intervals,
        ChordQuality.HalfDiminished7 => HalfDiminished7Intervals,
        ChordQuality.Major9 => Major9Intervals,
        ChordQuality.Minor9 => Minor9Intervals,
        ChordQuality.Dominant9 => Dominant9Intervals,
        _ => Dominant13Intervals,
    };

    /// <summary>The third above the root in semitones (4 for major-type chords, 3 for minor-type, 7 — the fifth — for power chords).</summary>
    public int Third => Quality switch
    {
        ChordQuality.Power => 7,
        ChordQuality.Minor or ChordQuality.Minor7 or ChordQuality.Minor9 or ChordQuality.Diminished
            or ChordQuality.HalfDiminished7 => 3,
        _ => 4,
    };

    /// <summary>The fifth above the root in semitones.</summary>
    public int Fifth => Quality is ChordQuality.Diminished or ChordQuality.HalfDiminished7 ? 6 : 7;

    /// <summary>Whether <paramref name="pitch"/> (MIDI) is one of the chord's pitch classes.</summary>
    public bool Contains(int pitch)
    {
        var pc = Key.Mod12(pitch - Root);
        foreach (var i in Intervals)
        {
            if (Key.Mod12(i) == pc)
                return true;
        }
        return false;
    }

    /// <summary>The lowest MIDI pitch of the root at or above <paramref name="lowest"/>.</summary>
    public int RootAtOrAbove(int lowest) => lowest + Key.Mod12(Root - lowest);

    /// <summary>
    /// A close-position voicing (MIDI pitches, ascending) whose middle sits near <paramref name="centre"/>,
    /// with at most <paramref name="maxNotes"/> notes.
    /// </summary>
    public int[] Voicing(double centre, int maxNotes)
    {
        var intervals = Intervals;
        var count = Math.Min(maxNotes, intervals.Length);
        var span = intervals[count - 1];
        var root = RootAtOrAbove((int)Math.Round(centre - (span / 2.0) - 6));
        var notes = new int[count];
        for (var i = 0; i < count; i++)
            notes[i] = root + intervals[i];
        return notes;
    }

    /// <summary>
    /// A guitar-style open voicing of up to six strings: root low, then fifth, octave, third and so on,
    /// the root placed at or above <paramref name="lowestRoot"/>.
    /// </summary>
    public int[] GuitarVoicing(int lowestRoot, int strings)
    {
        var root = RootAtOrAbove(lowestRoot);
        if (Quality == ChordQuality.Power)
            return strings <= 3 ? [root, root + 7, root + 12] : [root, root + 7, root + 12, root + 19];
        var intervals = Intervals;
        var upper = new List<int> { root, root + Fifth, root + 12, root + 12 + Third };
        foreach (var i in intervals.Skip(3))
            upper.Add(root + 12 + i);
        upper.Add(root + 12 + Fifth);
        upper.Add(root + 24);
        upper.Sort();
        return [.. upper.Distinct().Take(Math.Clamp(strings, 3, 6))];
    }
}
