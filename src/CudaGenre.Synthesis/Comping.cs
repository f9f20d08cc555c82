namespace CudaGenre.Synthesis;

/// <summary>The instrument that plays the chords.</summary>
public enum CompingInstrument
{
    /// <summary>Acoustic piano: bright hammer attack, decaying partials.</summary>
    Piano,

    /// <summary>Electric piano (tine): near-sine body with a bell partial.</summary>
    ElectricPiano,

    /// <summary>Drawbar organ with rotary-speaker tremolo.</summary>
    Organ,

    /// <summary>Bowed string section: slow attack, vibrato, detuned players.</summary>
    Strings,

    /// <summary>Soft synthesizer pad.</summary>
    SynthPad,

    /// <summary>Steel-string acoustic guitar (plucked-string model), strummed.</summary>
    AcousticGuitar,

    /// <summary>Clean electric guitar (plucked-string model, darker).</summary>
    CleanGuitar,

    /// <summary>Overdriven or distorted electric guitar; how hard it is driven comes from the style's drive range.</summary>
    DistortedGuitar,

    /// <summary>Brass section stabs (trumpets and saxophones together).</summary>
    Brass,
}

/// <summary>The rhythm the chords are played in.</summary>
public enum CompingRhythm
{
    /// <summary>Chords held for their full length.</summary>
    Sustained,

    /// <summary>A chord on every beat.</summary>
    Quarters,

    /// <summary>Down- and up-strums on eighths, strings staggered by a few milliseconds.</summary>
    Strum,

    /// <summary>Short chords on the off-beats only (reggae skank, ska).</summary>
    Skank,

    /// <summary>Palm-muted power-chord eighths or sixteenths with open accents (rock, metal).</summary>
    Chug,

    /// <summary>Broken chords, one note at a time (classical piano, harp, pop).</summary>
    Arpeggio,

    /// <summary>Sparse, syncopated chord hits (jazz comping, the Charleston rhythm).</summary>
    JazzComp,

    /// <summary>Muted sixteenth "chicken scratch" with the odd open chord (disco, funk).</summary>
    Scratch,

    /// <summary>Short chord stabs on a syncopated eighth pattern (pop, disco horns).</summary>
    Stabs,
}

/// <summary>An instrument together with the rhythm it plays the chords in.</summary>
/// <param name="Instrument">Who plays.</param>
/// <param name="Rhythm">How they play.</param>
public sealed record CompingChoice(CompingInstrument Instrument, CompingRhythm Rhythm);
