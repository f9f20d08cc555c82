using CudaGenre.Core.Audio;

namespace CudaGenre.Core.Tests.Audio;

/// <summary>
/// MP3, Ogg Vorbis (built in) and FLAC/Opus (through ffmpeg) against the signal they were encoded from. The fixtures
/// in Audio/Fixtures were made by make-fixtures.sh from <see cref="Tone"/>'s formula (1 s of stereo at 22050 Hz, five
/// partials per channel drawn at random once); the reference here is that formula, computed independently of any
/// decoder, mixed to mono as the mean of the channels.
/// </summary>
[Collection(nameof(FfmpegUsers))]
public class CompressedAudioTests
{
    private static readonly (double Hz, double Amplitude, double Phase)[][] Partials =
    [
        [(130.923, 0.0903, 3.2159), (2802.514, 0.0423, 1.4029), (960.437, 0.0968, 4.9221), (770.715, 0.1177, 4.8262), (1785.84, 0.1004, 1.5076)],
        [(1014.208, 0.0433, 5.1319), (513.589, 0.1278, 4.3051), (1327.978, 0.0552, 1.5803), (4601.453, 0.1415, 5.0588), (4992.895, 0.0916, 0.4795)],
    ];

    /// <summary>The fixtures' signal at any rate: the mean of the two channels, each quantized to 16 bits as the WAV was.</summary>
    internal static float[] Tone(int rate, int length)
    {
        var x = new float[length];
        for (var i = 0; i < length; i++)
        {
            var t = (double)i / rate;
            var envelope = 0.6 + (0.4 * Math.Sin((2 * Math.PI * 1.7 * t) + 0.3));
            double sum = 0;
            foreach (var channel in Partials)
                sum += Math.Round(envelope * channel.Sum(p => p.Amplitude * Math.Sin((2 * Math.PI * p.Hz * t) + p.Phase)) * 32767) / 32768;
            x[i] = (float)(sum / 2);
        }
        return x;
    }

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Audio", "Fixtures", name);

    /// <summary>
    /// The lag (decoded[i + lag] ≈ reference[i]) with the highest correlation within ±<paramref name="maxLag"/>, and the
    /// signal-to-noise ratio in dB there, over the reference's middle (edges left out: codecs fade in and out).
    /// </summary>
    private static (int Lag, double SnrDb) Compare(float[] decoded, float[] reference, int maxLag)
    {
        const int edge = 2048;
        var (bestLag, bestCorrelation) = (0, double.NegativeInfinity);
        for (var lag = -maxLag; lag <= maxLag; lag++)
        {
            double c = 0;
            for (var i = edge; i < reference.Length - edge; i++)
            {
                var j = i + lag;
                if (j >= 0 && j < decoded.Length)
                    c += decoded[j] * reference[i];
            }
            if (c > bestCorrelation)
                (bestLag, bestCorrelation) = (lag, c);
        }
        double signal = 0, noise = 0;
        for (var i = edge; i < reference.Length - edge; i++)
        {
            var j = i + bestLag;
            var d = j >= 0 && j < decoded.Length ? decoded[j] : 0;
            signal += reference[i] * (double)reference[i];
            noise += (d - reference[i]) * (double)(d - reference[i]);
        }
        return (bestLag, 10 * Math.Log10(signal / Math.Max(noise, 1e-30)));
    }

    private static void RequireFfmpeg()
    {
        if (!FfmpegDecoder.IsAvailable)
            Assert.Skip("ffmpeg is not installed (looked on PATH, or at CUDAGENRE_FFMPEG when that is set): FLAC and Opus are read through it.");
    }

    [Fact]
    public void Mp3_DecodesToTheOriginalWithinTheCodecsError()
    {
        var clip = AudioFile.Read(Fixture("tone.mp3"));

        Assert.Equal(22050, clip.SampleRate);
        // LAME pads the start (encoder delay) and the end to whole frames; NLayer keeps what the stream holds.
        Assert.InRange(clip.Samples.Length, 22050, 22050 + 4 * 576 + 2048);
        var (lag, snr) = Compare(clip.Samples, Tone(22050, 22050), 2400);
        TestContext.Current.TestOutputHelper?.WriteLine($"MP3: {clip.Samples.Length} samples, lag {lag}, SNR {snr:F1} dB");
        Assert.InRange(lag, 0, 2400);
        Assert.True(snr > 15, $"MP3 at 64 kbit/s: SNR {snr:F1} dB at lag {lag}, expected > 15 dB");
    }

    [Fact]
    public void OggVorbis_DecodesToTheOriginalWithinTheCodecsError_WithNoDelay()
    {
        var clip = AudioFile.Read(Fixture("tone.ogg"));

        Assert.Equal(22050, clip.SampleRate);
        Assert.Equal(22050, clip.Samples.Length); // Ogg granule positions make Vorbis sample-exact
        var (lag, snr) = Compare(clip.Samples, Tone(22050, 22050), 64);
        TestContext.Current.TestOutputHelper?.WriteLine($"Vorbis: lag {lag}, SNR {snr:F1} dB");
        Assert.Equal(0, lag);
        Assert.True(snr > 20, $"Vorbis q3: SNR {snr:F1} dB, expected > 20 dB");
    }

    [Fact]
    public void Flac_ThroughFfmpeg_IsLossless()
    {
        RequireFfmpeg();
        var clip = AudioFile.Read(Fixture("tone.flac"));

        Assert.Equal(22050, clip.SampleRate);
        Assert.Equal(11025, clip.Samples.Length); // the fixture is the first 0.5 s
        var (lag, snr) = Compare(clip.Samples, Tone(22050, 11025), 16);
        TestContext.Current.TestOutputHelper?.WriteLine($"FLAC: lag {lag}, SNR {snr:F1} dB");
        Assert.Equal(0, lag);
        Assert.True(snr > 70, $"FLAC is lossless: SNR {snr:F1} dB, expected > 70 dB (16-bit rounding only)");
    }

    [Fact]
    public void Opus_ThroughFfmpeg_DecodesAt48kHz_ToTheOriginalsLength()
    {
        RequireFfmpeg();
        var clip = AudioFile.Read(Fixture("tone.opus"));

        // Opus always decodes at 48 kHz (the front end resamples it like any clip). At 48 kbit/s it keeps the spectrum,
        // not the waveform (band folding, stereo coding), so its closeness is checked on the spectrogram below.
        Assert.Equal(48000, clip.SampleRate);
        Assert.InRange(clip.Samples.Length, 47000, 49000);
    }

    [Theory]
    [InlineData("tone.mp3", FileFormat.Mp3)]
    [InlineData("tone.ogg", FileFormat.OggVorbis)]
    [InlineData("tone.flac", FileFormat.Flac)]
    [InlineData("tone.opus", FileFormat.Ogg)]
    public void TheFormatComesFromTheContent_NotTheName(string fixture, FileFormat expected)
    {
        using var temp = new TempFolder();
        var renamed = temp.File("clip.wav");
        File.Copy(Fixture(fixture), renamed);

        Assert.Equal(expected, FileSignature.Detect(renamed));
        if (expected is FileFormat.Mp3 or FileFormat.OggVorbis)
            Assert.Equal(AudioFile.Read(Fixture(fixture)).Samples, AudioFile.Read(renamed).Samples);
    }

    [Fact]
    public void RandomBytes_AreNeverTakenForMp3()
    {
        var random = new SeededRandom(17);
        for (var trial = 0; trial < 2000; trial++)
        {
            var bytes = new byte[4 + random.NextInt(5000)];
            random.NextBytes(bytes);
            bytes[0] = 0xFF;
            bytes[1] |= 0xE0; // an MPEG sync word: the first header may be valid, a second one at the right place is not
            Assert.NotEqual(FileFormat.Mp3, FileSignature.Detect(bytes));
        }
    }

    [Theory]
    [InlineData("tone.mp3")]
    [InlineData("tone.ogg")]
    [InlineData("tone.flac")]
    public void ALongerClipThanTheLimit_IsAClearError(string fixture)
    {
        if (fixture.EndsWith(".flac", StringComparison.Ordinal))
            RequireFfmpeg();
        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(Fixture(fixture), new InputLimits { MaxAudioSeconds = 0.25 }));

        Assert.Equal(Fixture(fixture), e.FilePath);
        Assert.Contains("over the limit of 0.25 s (InputLimits.MaxAudioSeconds)", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tone.mp3", true)]
    [InlineData("tone.ogg", false)] // its audio is one Ogg page after 3 KB of headers: a cut or a flipped byte loses it all
    public void CorruptAndTruncatedFiles_DecodeOrFailClearly_NeverCrash(string fixture, bool someDecode)
    {
        var original = File.ReadAllBytes(Fixture(fixture));
        var random = new SeededRandom((ulong)fixture.Length);
        var failures = new List<string>();
        for (var trial = 0; trial < 40; trial++)
        {
            var bytes = trial % 2 == 0 ? original[..(1 + random.NextInt(original.Length - 1))] : (byte[])original.Clone();
            if (trial % 2 == 1)
            {
                for (var k = 0; k < 1 + random.NextInt(20); k++)
                    bytes[random.NextInt(bytes.Length)] = (byte)random.NextInt(256);
            }
            try
            {
                var clip = AudioFile.Read(new MemoryStream(bytes), "hostile");
                Assert.All(clip.Samples, s => Assert.True(float.IsFinite(s)));
                Assert.InRange(clip.Samples.Length, 1, 3 * 22050);
            }
            catch (DataFileException e)
            {
                failures.Add(e.Problem);
                Assert.Equal("hostile", e.FilePath);
                Assert.False(string.IsNullOrWhiteSpace(e.Problem));
            }
        }
        if (someDecode)
            Assert.True(failures.Count < 40, $"every corrupted file failed, the decoder is not being reached: {string.Join(" | ", failures.Distinct().Take(5))}");
    }

    [Fact]
    public void AFileCutInsideTheFirstFrame_HasNoAudio()
    {
        var mp3 = File.ReadAllBytes(Fixture("tone.mp3"))[..100];
        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(new MemoryStream(mp3), "cut.mp3"));
        Assert.Contains("MP3", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ACorruptFlac_IsFfmpegsErrorNamingTheFile()
    {
        RequireFfmpeg();
        var random = new SeededRandom(31);
        var bytes = new byte[4000];
        random.NextBytes(bytes);
        "fLaC"u8.CopyTo(bytes); // the magic, then noise where the STREAMINFO block should be
        using var temp = new TempFolder();
        var path = temp.File("broken.flac");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(path));

        Assert.Equal(path, e.FilePath);
        Assert.StartsWith("ffmpeg could not decode a FLAC file (exit code ", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutFfmpeg_FlacIsAnErrorThatSaysWhatIsNeededAndWhatIsSupported()
    {
        var saved = Environment.GetEnvironmentVariable("CUDAGENRE_FFMPEG");
        Environment.SetEnvironmentVariable("CUDAGENRE_FFMPEG", "/nonexistent/ffmpeg");
        try
        {
            var e = Assert.Throws<DataFileException>(() => AudioFile.Read(Fixture("tone.flac")));
            Assert.StartsWith("a FLAC file: reading it needs ffmpeg, which is not installed", e.Problem, StringComparison.Ordinal);
            Assert.Contains("supported audio: WAV, AU, MP3, Ogg Vorbis", e.Problem, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CUDAGENRE_FFMPEG", saved);
        }
    }

    [Fact]
    public void AnImageOrAModelGivenAsAudio_IsNamed()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[100]];
        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(new MemoryStream(png), "cover.mp3"));
        Assert.StartsWith("this is a PNG image, not audio; supported audio: WAV, AU, MP3, Ogg Vorbis", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tone.mp3", 20)] // measured 14.9; the noise control is 142
    [InlineData("tone.ogg", 25)] // measured 19.1
    [InlineData("tone.opus", 50)] // measured 41.8: Opus at 48 kbit/s keeps less of the quiet floor that the 80 dB image shows
    public void TheSpectrogramOfACompressedClip_IsCloseToTheOriginals(string fixture, double maxMeanDifference)
    {
        if (fixture.EndsWith(".opus", StringComparison.Ordinal))
            RequireFfmpeg();
        // The genre pipeline's input: the mel-spectrogram image. Compressed and original must look alike to the model.
        var decoded = AudioFrontEnd.ToImage(AudioFile.Read(Fixture(fixture)), 96, 64);
        var original = AudioFrontEnd.ToImage(new AudioClip(Tone(22050, 22050), 22050), 96, 64);
        var difference = MeanDifference(decoded, original);
        // Control: the same measure between the original and seeded noise of the same loudness.
        var random = new SeededRandom(5);
        var noise = AudioFrontEnd.ToImage(new AudioClip([.. Enumerable.Range(0, 22050).Select(_ => (float)random.Gaussian(0, 0.2))], 22050), 96, 64);
        var control = MeanDifference(noise, original);
        TestContext.Current.TestOutputHelper?.WriteLine($"{fixture}: mean pixel difference {difference:F2} (noise {control:F2})");
        Assert.True(difference < maxMeanDifference && difference < control / 3, $"{fixture}: mean pixel difference {difference:F2} of 255 (noise: {control:F2})");
    }

    private static double MeanDifference(Core.Imaging.RgbImage a, Core.Imaging.RgbImage b) => a.Pixels.Zip(b.Pixels, (x, y) => Math.Abs(x - y)).Average();
}

/// <summary>Tests that use ffmpeg or change CUDAGENRE_FFMPEG run one at a time.</summary>
[CollectionDefinition(nameof(FfmpegUsers), DisableParallelization = true)]
public class FfmpegUsers;
