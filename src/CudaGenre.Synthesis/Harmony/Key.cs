namespace CudaGenre.Synthesis.Harmony;

/// <summary>A key: tonic pitch class (0 = C … 11 = B) and mode.</summary>
internal readonly record struct Key(int Tonic, bool IsMinor)
{
    private static readonly int[] MajorScale = [0, 2, 4, 5, 7, 9, 11];
    private static readonly int[] MinorScale = [0, 2, 3, 5, 7, 8, 10];
    private static readonly int[] MajorPentatonic = [0, 2, 4, 7, 9];
    private static readonly int[] MinorPentatonic = [0, 3, 5, 7, 10];
    private static readonly int[] BluesScale = [0, 3, 5, 6, 7, 10];
    private static readonly int[] Mixolydian = [0, 2, 4, 5, 7, 9, 10];
    private static readonly int[] Dorian = [0, 2, 3, 5, 7, 9, 10];

    /// <summary>The pitch class <paramref name="semitones"/> above the tonic.</summary>
    public int PitchClass(int semitones) => Mod12(Tonic + semitones);

    /// <summary>The melody scale's steps, in semitones above the tonic, ascending.</summary>
    public int[] MelodySteps(MelodyScale scale) => scale switch
    {
        MelodyScale.Pentatonic => IsMinor ? MinorPentatonic : MajorPentatonic,
        MelodyScale.Blues => BluesScale,
        MelodyScale.Modal => IsMinor ? Dorian : Mixolydian,
        _ => IsMinor ? MinorScale : MajorScale,
    };

    /// <summary>Non-negative remainder modulo 12.</summary>
    public static int Mod12(int value) => ((value % 12) + 12) % 12;
}
