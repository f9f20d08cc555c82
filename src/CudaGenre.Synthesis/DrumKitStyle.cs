namespace CudaGenre.Synthesis;

/// <summary>
/// How a genre's drum kit sounds: tuning, decay and level ranges for each piece, drawn once per clip.
/// Levels are in dB relative to the kick.
/// </summary>
public sealed record DrumKitStyle
{
    /// <summary>Kick's resting pitch in Hz (the body).</summary>
    public required ValueRange KickHz { get; init; }

    /// <summary>Kick's starting pitch as a multiple of its resting pitch (the "punch" of the sweep).</summary>
    public required ValueRange KickSweep { get; init; }

    /// <summary>Kick's decay to −60 dB, seconds (an 808 rings for a second).</summary>
    public required ValueRange KickDecay { get; init; }

    /// <summary>Level of the beater click, 0–1 (metal's clicky kick is near 1).</summary>
    public required ValueRange KickClick { get; init; }

    /// <summary>Snare shell pitch in Hz.</summary>
    public required ValueRange SnareHz { get; init; }

    /// <summary>Share of wire noise against shell tone, 0–1.</summary>
    public required ValueRange SnareNoise { get; init; }

    /// <summary>Snare decay to −60 dB, seconds.</summary>
    public required ValueRange SnareDecay { get; init; }

    /// <summary>Hi-hat and cymbal brightness: the high-pass corner in Hz.</summary>
    public required ValueRange CymbalBrightnessHz { get; init; }

    /// <summary>Closed hi-hat decay to −60 dB, seconds.</summary>
    public required ValueRange HatDecay { get; init; }

    /// <summary>Ride and crash decay to −60 dB, seconds.</summary>
    public required ValueRange CymbalDecay { get; init; }

    /// <summary>Snare, clap and rim level in dB relative to the kick.</summary>
    public required ValueRange SnareDb { get; init; }

    /// <summary>Hi-hat level in dB relative to the kick.</summary>
    public required ValueRange HatDb { get; init; }

    /// <summary>Ride and crash level in dB relative to the kick.</summary>
    public required ValueRange CymbalDb { get; init; }

    /// <summary>Timing looseness of the drummer: standard spread of hit times, milliseconds.</summary>
    public required ValueRange TimingJitterMs { get; init; }

    /// <summary>A live rock kit: punchy kick, crisp snare, bright cymbals.</summary>
    public static DrumKitStyle Rock { get; } = new()
    {
        KickHz = new(50, 70),
        KickSweep = new(2, 4),
        KickDecay = new(0.2, 0.45),
        KickClick = new(0.2, 0.6),
        SnareHz = new(170, 230),
        SnareNoise = new(0.5, 0.8),
        SnareDecay = new(0.15, 0.35),
        CymbalBrightnessHz = new(5000, 8000),
        HatDecay = new(0.04, 0.1),
        CymbalDecay = new(1.2, 2.5),
        SnareDb = new(-3, 2),
        HatDb = new(-12, -6),
        CymbalDb = new(-12, -6),
        TimingJitterMs = new(2, 8),
    };

    /// <summary>A metal kit: tight clicky kick, loud snare, washy cymbals.</summary>
    public static DrumKitStyle Metal { get; } = new()
    {
        KickHz = new(50, 75),
        KickSweep = new(2.5, 5),
        KickDecay = new(0.12, 0.3),
        KickClick = new(0.5, 1),
        SnareHz = new(180, 250),
        SnareNoise = new(0.55, 0.85),
        SnareDecay = new(0.15, 0.3),
        CymbalBrightnessHz = new(4500, 7500),
        HatDecay = new(0.04, 0.1),
        CymbalDecay = new(1.5, 3),
        SnareDb = new(-2, 3),
        HatDb = new(-12, -6),
        CymbalDb = new(-10, -4),
        TimingJitterMs = new(1, 5),
    };

    /// <summary>A small jazz kit: high-tuned boomy kick, soft snare, dark ride.</summary>
    public static DrumKitStyle Jazz { get; } = new()
    {
        KickHz = new(60, 90),
        KickSweep = new(1.3, 2.2),
        KickDecay = new(0.25, 0.5),
        KickClick = new(0, 0.15),
        SnareHz = new(190, 260),
        SnareNoise = new(0.4, 0.75),
        SnareDecay = new(0.12, 0.3),
        CymbalBrightnessHz = new(2500, 5000),
        HatDecay = new(0.05, 0.12),
        CymbalDecay = new(1.5, 3),
        SnareDb = new(-8, -2),
        HatDb = new(-12, -5),
        CymbalDb = new(-12, -6),
        TimingJitterMs = new(4, 12),
    };

    /// <summary>A vintage kit as heard on old blues and country records: dull, roomy, loose.</summary>
    public static DrumKitStyle Vintage { get; } = new()
    {
        KickHz = new(55, 80),
        KickSweep = new(1.5, 3),
        KickDecay = new(0.2, 0.45),
        KickClick = new(0, 0.3),
        SnareHz = new(170, 240),
        SnareNoise = new(0.4, 0.75),
        SnareDecay = new(0.12, 0.3),
        CymbalBrightnessHz = new(3500, 6500),
        HatDecay = new(0.04, 0.1),
        CymbalDecay = new(1, 2.2),
        SnareDb = new(-6, 0),
        HatDb = new(-12, -6),
        CymbalDb = new(-12, -5),
        TimingJitterMs = new(4, 12),
    };

    /// <summary>A disco kit: deep tight kick, clap, sizzling hats.</summary>
    public static DrumKitStyle Disco { get; } = new()
    {
        KickHz = new(48, 65),
        KickSweep = new(2, 4),
        KickDecay = new(0.2, 0.4),
        KickClick = new(0.1, 0.4),
        SnareHz = new(180, 240),
        SnareNoise = new(0.5, 0.85),
        SnareDecay = new(0.12, 0.3),
        CymbalBrightnessHz = new(6000, 9000),
        HatDecay = new(0.03, 0.08),
        CymbalDecay = new(1, 2),
        SnareDb = new(-5, 0),
        HatDb = new(-8, -2),
        CymbalDb = new(-14, -8),
        TimingJitterMs = new(1, 6),
    };

    /// <summary>A drum machine as used in pop: quantized, bright.</summary>
    public static DrumKitStyle Machine { get; } = new()
    {
        KickHz = new(45, 65),
        KickSweep = new(2.5, 5),
        KickDecay = new(0.25, 0.6),
        KickClick = new(0.1, 0.5),
        SnareHz = new(180, 250),
        SnareNoise = new(0.55, 0.9),
        SnareDecay = new(0.12, 0.3),
        CymbalBrightnessHz = new(6000, 9500),
        HatDecay = new(0.025, 0.07),
        CymbalDecay = new(1, 2),
        SnareDb = new(-4, 1),
        HatDb = new(-9, -3),
        CymbalDb = new(-14, -8),
        TimingJitterMs = new(0, 2),
    };

    /// <summary>Hip hop: sampled boom-bap kit or long 808 kick, dusty snare, dark hats.</summary>
    public static DrumKitStyle HipHop { get; } = new()
    {
        KickHz = new(42, 60),
        KickSweep = new(2, 5),
        KickDecay = new(0.3, 1.1),
        KickClick = new(0.1, 0.5),
        SnareHz = new(160, 230),
        SnareNoise = new(0.5, 0.85),
        SnareDecay = new(0.12, 0.3),
        CymbalBrightnessHz = new(4500, 8500),
        HatDecay = new(0.02, 0.06),
        CymbalDecay = new(1, 2),
        SnareDb = new(-3, 2),
        HatDb = new(-11, -5),
        CymbalDb = new(-16, -10),
        TimingJitterMs = new(0, 6),
    };

    /// <summary>Reggae: deep soft kick, cracking rim, light hats.</summary>
    public static DrumKitStyle Reggae { get; } = new()
    {
        KickHz = new(50, 70),
        KickSweep = new(1.5, 3),
        KickDecay = new(0.25, 0.5),
        KickClick = new(0, 0.3),
        SnareHz = new(200, 280),
        SnareNoise = new(0.3, 0.6),
        SnareDecay = new(0.1, 0.25),
        CymbalBrightnessHz = new(4500, 8000),
        HatDecay = new(0.04, 0.1),
        CymbalDecay = new(1, 2),
        SnareDb = new(-4, 1),
        HatDb = new(-11, -5),
        CymbalDb = new(-16, -9),
        TimingJitterMs = new(2, 8),
    };
}
