namespace CudaGenre.Synthesis;

/// <summary>The pieces of a drum kit a groove can play.</summary>
public enum DrumVoice
{
    /// <summary>Bass drum.</summary>
    Kick,

    /// <summary>Snare drum, head and wires.</summary>
    Snare,

    /// <summary>Rim click / cross-stick (reggae, ballads).</summary>
    Rim,

    /// <summary>Hand clap (drum machines, disco, pop).</summary>
    Clap,

    /// <summary>Closed hi-hat.</summary>
    ClosedHat,

    /// <summary>Hi-hat closed with the foot: a soft "chick" (jazz on 2 and 4).</summary>
    PedalHat,

    /// <summary>Open hi-hat (disco off-beats).</summary>
    OpenHat,

    /// <summary>Ride cymbal.</summary>
    Ride,

    /// <summary>Crash cymbal.</summary>
    Crash,

    /// <summary>Tom-toms (fills).</summary>
    Tom,

    /// <summary>Wire brush swept across the snare.</summary>
    BrushSweep,

    /// <summary>Wire brush tapped on the snare.</summary>
    BrushTap,
}
