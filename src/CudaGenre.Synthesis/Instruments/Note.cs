namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// One note to play: start and length in clip seconds, MIDI pitch (fractional allowed), velocity 0–1.
/// The note starts <paramref name="Bend"/> semitones below its pitch and slides up to it (a blues bend, a
/// singer's scoop; negative: from above, as an 808 gliding down), 0 for none. <paramref name="Variant"/> is instrument-specific
/// articulation: the vowel of a sung note, a palm-mute on a guitar, the tom of a drum fill.
/// </summary>
internal readonly record struct Note(double Start, double Duration, double Pitch, double Velocity, double Bend = 0, int Variant = 0);
