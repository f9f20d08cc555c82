using System.Buffers.Binary;
using CudaGenre.Core.Audio;
using static CudaGenre.Core.Tests.Audio.AudioTestFiles;

namespace CudaGenre.Core.Tests.Audio;

/// <summary>Issue #15: a small audio file must not buy unbounded time or memory by what its header declares.</summary>
public class AudioLimitsTests
{
    private static byte[] RandomPcm16(int frames, ulong seed)
    {
        var data = new byte[frames * 2];
        new SeededRandom(seed).NextBytes(data);
        return data;
    }

    /// <summary>A 2 KB 16-bit mono WAV whose fmt chunk declares <paramref name="rate"/> Hz.</summary>
    private static byte[] WavAt(uint rate, ulong seed)
    {
        var fmt = FmtBody(1, 1, 8000, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(4), rate);
        return Riff(Chunk("fmt ", fmt), Chunk("data", RandomPcm16(1024, seed)));
    }

    [Theory]
    [InlineData(400_000_000u)]
    [InlineData(1_000_000_000u)]
    [InlineData(2_147_483_648u)]
    [InlineData(4_294_967_295u)]
    [InlineData(192_001u)]
    [InlineData(999u)]
    public void Wav_ASampleRateOutsideTheLimits_IsAClearError_NamingFileRateAndRange(uint rate)
    {
        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(new MemoryStream(WavAt(rate, rate)), "fast.wav"));

        Assert.Equal("fast.wav", e.FilePath);
        Assert.Equal($"sample rate {rate} Hz is outside the supported range 1000–192000 Hz (InputLimits.MinSampleRate/MaxSampleRate)", e.Problem);
    }

    [Theory]
    [InlineData(400_000_000)]
    [InlineData(2_000_000_000)]
    public void Au_ASampleRateOutsideTheLimits_IsAClearError(int rate)
    {
        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(new MemoryStream(Au(3, 1, rate, RandomPcm16(1024, (ulong)rate))), "fast.au"));

        Assert.Contains($"sample rate {rate} Hz is outside the supported range", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ARaisedRateLimit_ReadsTheFile_AndTheDefaultRangeReadsCommonRates()
    {
        foreach (var rate in new uint[] { 8000, 22050, 44100, 48000, 96000, 192000 })
            Assert.Equal((int)rate, AudioFile.Read(new MemoryStream(WavAt(rate, rate)), "ok.wav").SampleRate);
        var clip = AudioFile.Read(new MemoryStream(WavAt(400_000_000, 1)), "fast.wav", new InputLimits { MaxSampleRate = 400_000_000 });
        Assert.Equal((400_000_000, 1024), (clip.SampleRate, clip.Samples.Length));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // data size 0xFFFFFFFF: "to the end of the file"
    public void ALongerClipThanTheLimit_IsRefusedBeforeItsSamplesAreAllocated(bool unknownSize)
    {
        // 3 s at 8 kHz against a 2 s limit: the same check that refuses a 10-hour file under the default 600 s.
        var data = RandomPcm16(24_000, 5);
        var wav = Riff(Chunk("fmt ", FmtBody(1, 1, 8000, 16)), Chunk("data", data, unknownSize ? 0xFFFFFFFF : null));
        var limits = new InputLimits { MaxAudioSeconds = 2 };
        var stream = new MemoryStream(wav);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DataFileException>(() => AudioFile.Read(stream, "long.wav", limits));

        Assert.Equal("the audio is 3.0 s long (24000 frames at 8000 Hz), over the limit of 2 s (InputLimits.MaxAudioSeconds)", e.Problem);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 24_000 * sizeof(float), "the samples were allocated before the length was checked");
        Assert.Equal(24_000, AudioFile.Read(new MemoryStream(wav), "long.wav", new InputLimits { MaxAudioSeconds = 3 }).Samples.Length);
    }

    [Fact]
    public void TheFrontEnd_ChecksAClipMadeInCode_BeforeResampling()
    {
        var samples = new float[4096];
        var random = new SeededRandom(8);
        for (var i = 0; i < samples.Length; i++)
            samples[i] = (float)(random.NextDouble() - 0.5);

        var fast = Assert.Throws<DataFileException>(() => AudioFrontEnd.ToImage(new AudioClip(samples, 400_000_000), name: "made.wav"));
        Assert.Contains("sample rate 400000000 Hz is outside the supported range", fast.Message, StringComparison.Ordinal);
        var longClip = Assert.Throws<DataFileException>(() => AudioFrontEnd.ToImage(new AudioClip(samples, 1000), limits: new InputLimits { MaxAudioSeconds = 4 }));
        Assert.Contains("4.1 s long", longClip.Message, StringComparison.Ordinal);
        // Called directly, the resampler refuses a ratio whose filter would be huge instead of building it.
        Assert.Throws<ArgumentException>(() => Resampler.Resample(new AudioClip(samples, 1_000_000_000), 22050));
    }
}
