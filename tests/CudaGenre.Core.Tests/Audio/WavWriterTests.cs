using System.Buffers.Binary;
using CudaGenre.Core.Audio;

namespace CudaGenre.Core.Tests.Audio;

public sealed class WavWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Pcm16_HeaderIsTheCanonical44Bytes_AndSamplesAreRounded()
    {
        var clip = new AudioClip([0.5f, -0.25f, 1.5f, -1.5f, 1f, -1f, 1.4f / 32768, 1.6f / 32768, -2.5f / 32768], 12345);
        var bytes = Write(clip, WavEncoding.Pcm16);
        // Parsed here by hand, from the WAVE layout, not with the reader under test.
        Assert.Equal("RIFF"u8.ToArray(), bytes[0..4]);
        Assert.Equal((uint)(bytes.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal("WAVEfmt "u8.ToArray(), bytes[8..16]);
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20))); // PCM
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(22))); // mono
        Assert.Equal(12345u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)));
        Assert.Equal(12345u * 2, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(32)));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(34)));
        Assert.Equal("data"u8.ToArray(), bytes[36..40]);
        Assert.Equal(18u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));
        var samples = Enumerable.Range(0, 9).Select(i => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(44 + (2 * i)))).ToArray();
        // Clipped at the ends, rounded to nearest (ties to even) in between.
        Assert.Equal(new short[] { 16384, -8192, 32767, -32768, 32767, -32768, 1, 2, -2 }, samples);
        Assert.Equal(62, bytes.Length);
    }

    [Fact]
    public void Pcm16_RoundTrip_IsExactForValuesOnThe16BitGrid()
    {
        var rng = new SeededRandom(16);
        var samples = Enumerable.Range(0, 22050).Select(_ => (rng.NextInt(65536) - 32768) / 32768f).ToArray();
        var path = _temp.File("grid.wav");
        AudioFile.WriteWav(path, new AudioClip(samples, 22050));
        var back = AudioFile.Read(path);
        Assert.Equal(22050, back.SampleRate);
        Assert.Equal(samples, back.Samples);
    }

    [Fact]
    public void Pcm16_RoundTrip_ErrorIsAtMostHalfAStep()
    {
        var rng = new SeededRandom(17);
        var samples = Enumerable.Range(0, 5000).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var back = AudioTestFiles.ReadBytes(Write(new AudioClip(samples, 8000), WavEncoding.Pcm16));
        var worst = samples.Zip(back.Samples).Max(p => Math.Abs(p.First - p.Second));
        Assert.InRange(worst, 1e-6, (0.5 / 32768) + 1e-9);
    }

    [Fact]
    public void Pcm24_RoundTrip_ErrorIsAtMostHalfAStep_AndOddLengthsArePadded()
    {
        var rng = new SeededRandom(24);
        var samples = Enumerable.Range(0, 1001).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var bytes = Write(new AudioClip(samples, 48000), WavEncoding.Pcm24);
        Assert.Equal(44 + 3003 + 1, bytes.Length); // the odd data chunk gets its pad byte
        var back = AudioTestFiles.ReadBytes(bytes);
        Assert.Equal(1001, back.Samples.Length);
        var worst = samples.Zip(back.Samples).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= (0.5 / 8388608) + 1e-7, $"worst error {worst}");
    }

    [Fact]
    public void Float32_RoundTrip_IsBitExact_AndNotClipped()
    {
        var rng = new SeededRandom(32);
        var samples = Enumerable.Range(0, 3000).Select(_ => (float)rng.Uniform(-1.5, 1.5)).ToArray();
        var bytes = Write(new AudioClip(samples, 44100), WavEncoding.Float32);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20))); // IEEE float
        Assert.Equal("fact"u8.ToArray(), bytes[38..42]);
        Assert.Equal(3000u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(46)));
        Assert.Equal(samples, AudioTestFiles.ReadBytes(bytes).Samples);
    }

    [Fact]
    public void WriteWav_ReplacesAnExistingFile_AndLeavesNoTemporaryFile()
    {
        var path = _temp.File("out.wav");
        File.WriteAllText(path, "old contents");
        AudioFile.WriteWav(path, new AudioClip([0.25f, -0.5f], 8000));
        Assert.Equal([0.25f, -0.5f], AudioFile.Read(path).Samples);
        Assert.Equal(["out.wav"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void NonFiniteSamples_AreRefused_AndNothingIsWritten()
    {
        var path = _temp.File("nan.wav");
        var ex = Assert.Throws<ArgumentException>(() => AudioFile.WriteWav(path, new AudioClip([0f, float.NaN], 8000)));
        Assert.Contains("Sample 1", ex.Message);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void MissingFolder_IsCreated()
    {
        var path = Path.Combine(_temp.Path, "no-such-folder", "x.wav");
        AudioFile.WriteWav(path, new AudioClip([0.1f], 8000));
        Assert.Equal([0.1f], AudioFile.Read(path).Samples, (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    private static byte[] Write(AudioClip clip, WavEncoding encoding)
    {
        var ms = new MemoryStream();
        AudioFile.WriteWav(ms, clip, encoding);
        return ms.ToArray();
    }
}
