namespace CudaGenre.Synthesis;

/// <summary>
/// The groove library the genre styles draw from. Several grooves are shared between genres on purpose
/// (a rock beat in country and pop, four-on-the-floor in disco, pop and reggae "steppers"), because
/// real genres share them too.
/// </summary>
public static class DrumGrooves
{
    /// <summary>No drums (orchestral music, solo piano).</summary>
    public static DrumGroove None { get; } = new("none");

    /// <summary>Kick on 1 and 3 with pushes, snare backbeat, eighth hats.</summary>
    public static DrumGroove RockBeat { get; } = new("rock beat",
        (DrumVoice.Kick, /*     */ "x.....3.x.3....."),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."),
        (DrumVoice.OpenHat, /*  */ "..............2."));

    /// <summary>The rock beat with the right hand on the ride.</summary>
    public static DrumGroove RockRide { get; } = new("rock ride",
        (DrumVoice.Kick, /*     */ "x.....3.x.3....."),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.Ride, /*     */ "x.x.x.x.x.x.x.x."));

    /// <summary>Half-time feel: snare on 3 only.</summary>
    public static DrumGroove HalfTime { get; } = new("half time",
        (DrumVoice.Kick, /*     */ "x.....2...3....."),
        (DrumVoice.Snare, /*    */ "........x......."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Drum-machine pop: syncopated kick, clap backbeat, eighths with sixteenth ghosts.</summary>
    public static DrumGroove PopBeat { get; } = new("pop beat",
        (DrumVoice.Kick, /*     */ "x.....4.x.4..3.."),
        (DrumVoice.Clap, /*     */ "....x.......x..."),
        (DrumVoice.Snare, /*    */ "....5.......5..."),
        (DrumVoice.ClosedHat, /**/ "x2x2x2x2x2x2x2x2"),
        (DrumVoice.OpenHat, /*  */ "..............2."));

    /// <summary>Disco: kick on every beat, open hi-hat on every off-beat, clap and snare on 2 and 4.</summary>
    public static DrumGroove FourOnTheFloor { get; } = new("four on the floor",
        (DrumVoice.Kick, /*     */ "x...x...x...x..."),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.Clap, /*     */ "....6.......6..."),
        (DrumVoice.ClosedHat, /**/ "x5..x5..x5..x5.."),
        (DrumVoice.OpenHat, /*  */ "..x...x...x...x."));

    /// <summary>Disco with running sixteenth hats.</summary>
    public static DrumGroove DiscoSixteenths { get; } = new("disco sixteenths",
        (DrumVoice.Kick, /*     */ "x...x...x...x..."),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "xxx.xxx.xxx.xxx."),
        (DrumVoice.OpenHat, /*  */ "..7...7...7...7."));

    /// <summary>Boom-bap: lazy kick, hard snare on 2 and 4, swung hats.</summary>
    public static DrumGroove BoomBap { get; } = new("boom bap",
        (DrumVoice.Kick, /*     */ "x......3.x5....."),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."),
        (DrumVoice.OpenHat, /*  */ "..........2....."));

    /// <summary>Trap: sparse kick (the 808 follows it), clap backbeat, running hats with rolls.</summary>
    public static DrumGroove Trap { get; } = new("trap",
        (DrumVoice.Kick, /*     */ "x......x..4...3."),
        (DrumVoice.Clap, /*     */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x8x8x8x8x8x8x8x8"),
        (DrumVoice.OpenHat, /*  */ "......1.......1."))
    { HatRollProbability = 0.2 };

    /// <summary>Reggae one drop: kick and rim together on beat 3 only.</summary>
    public static DrumGroove OneDrop { get; } = new("one drop",
        (DrumVoice.Kick, /*     */ "........x......."),
        (DrumVoice.Rim, /*      */ "........x......."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."),
        (DrumVoice.OpenHat, /*  */ "......2.......2."));

    /// <summary>Reggae rockers: kick on 1 and 3, rim on 2 and 4.</summary>
    public static DrumGroove Rockers { get; } = new("rockers",
        (DrumVoice.Kick, /*     */ "x.......x......."),
        (DrumVoice.Rim, /*      */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Reggae steppers: four-on-the-floor kick under a rim on 3.</summary>
    public static DrumGroove Steppers { get; } = new("steppers",
        (DrumVoice.Kick, /*     */ "x...x...x...x..."),
        (DrumVoice.Rim, /*      */ "........x......."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Swing ride "spang-a-lang", hi-hat foot on 2 and 4, feathered kick, snare comping.</summary>
    public static DrumGroove JazzRide { get; } = new("jazz ride",
        (DrumVoice.Ride, /*     */ "x...x.x.x...x.x."),
        (DrumVoice.PedalHat, /* */ "....x.......x..."),
        (DrumVoice.Kick, /*     */ "3...3...3...3..."),
        (DrumVoice.Snare, /*    */ "..1...1..1...1.1"));

    /// <summary>Brushes: sweeps on every beat, taps on 2 and 4.</summary>
    public static DrumGroove JazzBrushes { get; } = new("brushes",
        (DrumVoice.BrushSweep, /**/ "x...x...x...x..."),
        (DrumVoice.BrushTap, /*  */ "....x.......x..."),
        (DrumVoice.Ride, /*      */ "3...3.2.3...3.2."),
        (DrumVoice.Kick, /*      */ "1.......1......."));

    /// <summary>Blues shuffle on the hi-hat.</summary>
    public static DrumGroove Shuffle { get; } = new("shuffle",
        (DrumVoice.Kick, /*     */ "x.......x.....2."),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Blues shuffle on the ride.</summary>
    public static DrumGroove ShuffleRide { get; } = new("shuffle ride",
        (DrumVoice.Kick, /*     */ "x.......x......."),
        (DrumVoice.Snare, /*    */ "....x.......x..2"),
        (DrumVoice.Ride, /*     */ "x.x.x.x.x.x.x.x."),
        (DrumVoice.PedalHat, /* */ "....x.......x..."));

    /// <summary>Country train beat: running snare eighths accented on 2 and 4.</summary>
    public static DrumGroove TrainBeat { get; } = new("train beat",
        (DrumVoice.Kick, /*     */ "x.......x......."),
        (DrumVoice.Snare, /*    */ "6.6.x.6.6.6.x.6."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Country two-step: boom-chick with a rim click.</summary>
    public static DrumGroove TwoStep { get; } = new("two step",
        (DrumVoice.Kick, /*     */ "x.......x......."),
        (DrumVoice.Rim, /*      */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Metal double-kick: running sixteenth kicks, crash on the beats.</summary>
    public static DrumGroove DoubleKick { get; } = new("double kick",
        (DrumVoice.Kick, /*     */ "xxxxxxxxxxxxxxxx"),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.Crash, /*    */ "x...5...x...5..."),
        (DrumVoice.Ride, /*     */ "..x...x...x...x."));

    /// <summary>Metal gallop: kick in "da-da-dum" groups.</summary>
    public static DrumGroove Gallop { get; } = new("gallop",
        (DrumVoice.Kick, /*     */ "x.xxx.xxx.xxx.xx"),
        (DrumVoice.Snare, /*    */ "....x.......x..."),
        (DrumVoice.ClosedHat, /**/ "x.x.x.x.x.x.x.x."));

    /// <summary>Thrash "skank" beat: kick on the beats, snare on the off-beats.</summary>
    public static DrumGroove Thrash { get; } = new("thrash",
        (DrumVoice.Kick, /*     */ "x...x...x...x..."),
        (DrumVoice.Snare, /*    */ "..x...x...x...x."),
        (DrumVoice.Ride, /*     */ "x.x.x.x.x.x.x.x."));

    /// <summary>Blast beat: alternating kick and snare on every sixteenth, cymbal wash.</summary>
    public static DrumGroove Blast { get; } = new("blast beat",
        (DrumVoice.Kick, /*     */ "x.x.x.x.x.x.x.x."),
        (DrumVoice.Snare, /*    */ ".x.x.x.x.x.x.x.x"),
        (DrumVoice.Crash, /*    */ "x...x...x...x..."),
        (DrumVoice.Ride, /*     */ "x.x.x.x.x.x.x.x."));
}
