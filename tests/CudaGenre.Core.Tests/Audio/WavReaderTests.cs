using System.Buffers.Binary;
using CudaGenre.Core.Audio;
using static CudaGenre.Core.Tests.Audio.AudioTestFiles;

namespace CudaGenre.Core.Tests.Audio;

public class WavReaderTests
{
    [Fact]
    public void Pcm8_IsUnsignedWith128AsSilence()
    {
        var rng = new SeededRandom(801);
        var data = Enumerable.Range(0, 999).Select(_ => (byte)rng.NextInt(256)).ToArray();
        var clip = ReadBytes(Wav(1, 1, 8000, 8, data));
        Assert.Equal(8000, clip.SampleRate);
        Assert.Equal(data.Select(b => (float)((b - 128) / 128.0)), clip.Samples);
    }

    [Fact]
    public void Pcm16_IsLittleEndianTwosComplementOver32768()
    {
        var rng = new SeededRandom(1601);
        var values = Enumerable.Range(0, 1000).Select(_ => (short)(rng.NextInt(65536) - 32768)).Append(short.MinValue).Append(short.MaxValue).ToArray();
        var data = values.SelectMany(v => new[] { (byte)v, (byte)(v >> 8) }).ToArray();
        var clip = ReadBytes(Wav(1, 1, 22050, 16, data));
        Assert.Equal(values.Select(v => (float)(v / 32768.0)), clip.Samples);
        Assert.Equal(-1f, clip.Samples[^2]);
    }

    [Fact]
    public void Pcm24_IsThreeBytesLittleEndianOver2Pow23()
    {
        var rng = new SeededRandom(2401);
        var values = Enumerable.Range(0, 777).Select(_ => rng.NextInt(1 << 24) - (1 << 23)).ToArray();
        var data = values.SelectMany(v => new[] { (byte)v, (byte)(v >> 8), (byte)(v >> 16) }).ToArray();
        var clip = ReadBytes(Wav(1, 1, 44100, 24, data));
        Assert.Equal(values.Select(v => (float)(v / 8388608.0)), clip.Samples);
        Assert.Contains(clip.Samples, s => s < -0.5f); // negative values were sign-extended
    }

    [Fact]
    public void Pcm32_IsOver2Pow31()
    {
        var rng = new SeededRandom(3201);
        var values = Enumerable.Range(0, 500).Select(_ => (int)rng.NextUInt64()).ToArray();
        var data = values.SelectMany(U32Of).ToArray();
        var clip = ReadBytes(Wav(1, 1, 48000, 32, data));
        Assert.Equal(values.Select(v => (float)(v / 2147483648.0)), clip.Samples);
    }

    [Fact]
    public void Float32_IsReadAsStored()
    {
        var rng = new SeededRandom(3202);
        var values = Enumerable.Range(0, 500).Select(_ => (float)rng.Uniform(-1.2, 1.2)).ToArray();
        var data = values.SelectMany(v => U32Of(BitConverter.SingleToInt32Bits(v))).ToArray();
        var clip = ReadBytes(Wav(3, 1, 16000, 32, data));
        Assert.Equal(values, clip.Samples);
    }

    [Fact]
    public void Float64_IsReadAndRoundedToFloat()
    {
        var rng = new SeededRandom(6401);
        var values = Enumerable.Range(0, 500).Select(_ => rng.Uniform(-1, 1)).ToArray();
        var data = values.SelectMany(v =>
        {
            var b = new byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(b, v);
            return b;
        }).ToArray();
        var clip = ReadBytes(Wav(3, 1, 16000, 64, data));
        Assert.Equal(values.Select(v => (float)v), clip.Samples);
    }

    [Fact]
    public void Stereo16_IsMixedToTheExactMean()
    {
        var rng = new SeededRandom(2);
        var left = Enumerable.Range(0, 400).Select(_ => rng.NextInt(65536) - 32768).ToArray();
        var right = Enumerable.Range(0, 400).Select(_ => rng.NextInt(65536) - 32768).ToArray();
        var data = left.Zip(right).SelectMany(p => new[] { (byte)p.First, (byte)(p.First >> 8), (byte)p.Second, (byte)(p.Second >> 8) }).ToArray();
        var clip = ReadBytes(Wav(1, 2, 22050, 16, data));
        // (l + r) / 65536 is exact in double: the mean of l/32768 and r/32768, rounded once to float.
        Assert.Equal(left.Zip(right).Select(p => (float)((p.First + p.Second) / 65536.0)), clip.Samples);
    }

    [Fact]
    public void FiveChannels24Bit_AreMixedToTheMean()
    {
        var rng = new SeededRandom(5);
        var frames = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, 5).Select(_ => rng.NextInt(1 << 24) - (1 << 23)).ToArray()).ToArray();
        var data = frames.SelectMany(f => f.SelectMany(v => new[] { (byte)v, (byte)(v >> 8), (byte)(v >> 16) })).ToArray();
        var clip = ReadBytes(Wav(1, 5, 96000, 24, data));
        Assert.Equal(96000, clip.SampleRate);
        for (var i = 0; i < frames.Length; i++)
            Assert.Equal(frames[i].Average() / 8388608.0, clip.Samples[i], 1e-7);
    }

    [Fact]
    public void Extensible_WithPcmSubFormat_24BitsIn32BitContainers()
    {
        var rng = new SeededRandom(24_32);
        // Valid bits sit at the top of each 32-bit container.
        var values = Enumerable.Range(0, 600).Select(_ => rng.NextInt(1 << 24) - (1 << 23)).ToArray();
        var data = values.SelectMany(v => U32Of(v << 8)).ToArray();
        var bytes = Riff(Chunk("fmt ", ExtensibleFmtBody(1, 2, 44100, 32, 24)), Chunk("data", data));
        var clip = ReadBytes(bytes);
        Assert.Equal(300, clip.Samples.Length);
        for (var i = 0; i < 300; i++)
            Assert.Equal((float)((values[2 * i] + (double)values[(2 * i) + 1]) / 2 / 8388608.0), clip.Samples[i]);
    }

    [Fact]
    public void Extensible_WithFloatSubFormat()
    {
        var rng = new SeededRandom(3203);
        var values = Enumerable.Range(0, 256).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var data = values.SelectMany(v => U32Of(BitConverter.SingleToInt32Bits(v))).ToArray();
        var clip = ReadBytes(Riff(Chunk("fmt ", ExtensibleFmtBody(3, 1, 32000, 32, 32)), Chunk("data", data)));
        Assert.Equal(values, clip.Samples);
        Assert.Equal(32000, clip.SampleRate);
    }

    [Fact]
    public void Extensible_WithAnUnknownSubFormat_IsRejected()
    {
        var body = ExtensibleFmtBody(1, 1, 8000, 16, 16);
        body[^1] ^= 0xFF; // no longer the KSDATAFORMAT GUID family
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(Riff(Chunk("fmt ", body), Chunk("data", new byte[100]))));
        Assert.Contains("unsupported WAV encoding: extensible sub-format", ex.Message);
    }

    [Fact]
    public void UnknownChunks_WithOddSizesAndPadBytes_AreSkipped()
    {
        var rng = new SeededRandom(77);
        var values = Enumerable.Range(0, 321).Select(_ => (short)(rng.NextInt(65536) - 32768)).ToArray();
        var data = values.SelectMany(v => new[] { (byte)v, (byte)(v >> 8) }).ToArray();
        // An odd-sized LIST chunk before fmt and another (padded) between fmt and data: a reader that forgets the
        // pad byte reads "\0dat" as the next chunk id and fails.
        var list1 = Chunk("LIST", [.. "INFOISFT"u8, .. U32(5), .. "abcde"u8]);
        var list2 = Chunk("LIST", [.. "INFOICMT"u8, .. U32(3), .. "xyz"u8]);
        Assert.True((list2.Length & 1) == 0 && list2.Length == 8 + 15 + 1);
        var junk = Chunk("junk", [1, 2, 3]);
        var bytes = Riff(list1, Chunk("fmt ", FmtBody(1, 1, 11025, 16)), list2, junk, Chunk("data", data));
        var clip = ReadBytes(bytes);
        Assert.Equal(11025, clip.SampleRate);
        Assert.Equal(values.Select(v => (float)(v / 32768.0)), clip.Samples);
    }

    [Fact]
    public void TrailingChunksAfterData_AreIgnored()
    {
        var data = new byte[] { 0x00, 0x40, 0x00, 0xC0 };
        var clip = ReadBytes(Riff(Chunk("fmt ", FmtBody(1, 1, 8000, 16)), Chunk("data", data), Chunk("LIST", [.. "INFO"u8])));
        Assert.Equal([0.5f, -0.5f], clip.Samples);
    }

    [Fact]
    public void FmtChunkOf18Bytes_WithCbSize_IsAccepted()
    {
        var fmt = FmtBody(3, 1, 8000, 32).Concat(U16(0)).ToArray();
        var clip = ReadBytes(Riff(Chunk("fmt ", fmt), Chunk("fact", U32(2)), Chunk("data", [.. U32Of(BitConverter.SingleToInt32Bits(0.25f)), .. U32Of(BitConverter.SingleToInt32Bits(-0.75f))])));
        Assert.Equal([0.25f, -0.75f], clip.Samples);
    }

    [Fact]
    public void MuLawAndALawWavs_AreExpandedPerG711()
    {
        var codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var mu = ReadBytes(Wav(7, 1, 8000, 8, codes));
        var a = ReadBytes(Wav(6, 1, 8000, 8, codes));
        Assert.Equal(codes.Select(c => (float)(G711Tests.MuLawByFormula(c) / 32768.0)), mu.Samples);
        Assert.Equal(codes.Select(c => (float)(G711Tests.ALawByFormula(c) / 32768.0)), a.Samples);
    }

    [Fact]
    public void PartialTrailingFrame_IsIgnored()
    {
        var data = new byte[] { 0x00, 0x40, 0x00, 0xC0, 0x11 };
        var clip = ReadBytes(Wav(1, 1, 8000, 16, data));
        Assert.Equal([0.5f, -0.5f], clip.Samples);
    }

    [Fact]
    public void FormatIsDetectedByContent_NotByExtension()
    {
        using var temp = new TempFolder();
        var wavPath = temp.File("really-a-wav.au");
        File.WriteAllBytes(wavPath, Wav(1, 1, 8000, 16, [0x00, 0x20]));
        var auPath = temp.File("really-an-au.wav");
        File.WriteAllBytes(auPath, Au(3, 1, 8000, [0x20, 0x00]));
        Assert.Equal([0.25f], AudioFile.Read(wavPath).Samples);
        Assert.Equal([0.25f], AudioFile.Read(auPath).Samples);
    }

    [Fact]
    public void NonSeekableStream_IsReadToo()
    {
        var data = new byte[] { 0x00, 0x40, 0x00, 0xC0 };
        using var stream = new NonSeekableStream(Wav(1, 1, 8000, 16, data));
        Assert.Equal([0.5f, -0.5f], AudioFile.Read(stream, "pipe").Samples);
    }

    [Theory]
    [InlineData(2, "unsupported WAV encoding: Microsoft ADPCM (format tag 2)")]
    [InlineData(0x55, "unsupported WAV encoding: MP3 (format tag 85)")]
    [InlineData(0x1234, "unsupported WAV encoding: unknown (format tag 4660)")]
    public void UnsupportedFormatTags_AreNamed(int tag, string expected)
    {
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(Wav((ushort)tag, 1, 8000, 4, new byte[64]), "song.wav"));
        Assert.Equal(expected, ex.Problem);
        Assert.StartsWith("song.wav: ", ex.Message);
    }

    [Fact]
    public void UnsupportedPcmDepth_IsNamed()
    {
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(Wav(1, 1, 8000, 12, new byte[64])));
        Assert.Equal("unsupported WAV encoding: 12-bit PCM", ex.Problem);
    }

    [Fact]
    public void BlockAlignMismatch_IsRejected()
    {
        var bytes = Riff(Chunk("fmt ", FmtBody(1, 2, 8000, 16, blockAlign: 2)), Chunk("data", new byte[64]));
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(bytes));
        Assert.Equal("invalid fmt chunk: block align is 2 bytes, but 2 channel(s) of 16-bit samples need 4", ex.Problem);
    }

    [Fact]
    public void ZeroChannels_AndZeroRate_AreRejected()
    {
        var noChannels = Riff(Chunk("fmt ", FmtBody(1, 0, 8000, 16, blockAlign: 2)), Chunk("data", new byte[64]));
        Assert.Equal("invalid fmt chunk: zero channels", Assert.Throws<DataFileException>(() => ReadBytes(noChannels)).Problem);
        var noRate = Riff(Chunk("fmt ", FmtBody(1, 1, 0, 16)), Chunk("data", new byte[64]));
        Assert.Equal("invalid fmt chunk: sample rate 0 Hz", Assert.Throws<DataFileException>(() => ReadBytes(noRate)).Problem);
    }

    [Fact]
    public void NonFiniteFloatSamples_AreRejected()
    {
        var data = new[] { 0.5f, float.NaN, 0.1f }.SelectMany(v => U32Of(BitConverter.SingleToInt32Bits(v))).ToArray();
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(Wav(3, 1, 8000, 32, data)));
        Assert.Equal("invalid sample: frame 1 is NaN or infinite", ex.Problem);
    }

    private static byte[] U32Of(int v) => U32((uint)v);

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
