using System.Buffers.Binary;
using static CudaGenre.Core.Tests.Audio.AudioTestFiles;

namespace CudaGenre.Core.Tests.Audio;

public class AuReaderTests
{
    [Fact]
    public void Linear16_IsBigEndian_AndTheAnnotationIsSkipped()
    {
        var rng = new SeededRandom(1616);
        var values = Enumerable.Range(0, 661).Select(_ => (short)(rng.NextInt(65536) - 32768)).ToArray();
        var data = values.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        var clip = ReadBytes(Au(3, 1, 22050, data, annotationBytes: 8), "blues.00000.au");
        Assert.Equal(22050, clip.SampleRate);
        Assert.Equal(values.Select(v => (float)(v / 32768.0)), clip.Samples);
    }

    [Fact]
    public void Linear16Stereo_IsMixedToTheMean()
    {
        var rng = new SeededRandom(1617);
        var values = Enumerable.Range(0, 800).Select(_ => rng.NextInt(65536) - 32768).ToArray();
        var data = values.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        var clip = ReadBytes(Au(3, 2, 44100, data));
        Assert.Equal(400, clip.Samples.Length);
        for (var i = 0; i < 400; i++)
            Assert.Equal((float)((values[2 * i] + values[(2 * i) + 1]) / 65536.0), clip.Samples[i]);
    }

    [Fact]
    public void MuLaw_IsExpandedPerG711()
    {
        var rng = new SeededRandom(11);
        var codes = Enumerable.Range(0, 500).Select(_ => (byte)rng.NextInt(256)).Concat(new byte[] { 0xFF, 0x80, 0x00 }).ToArray();
        var clip = ReadBytes(Au(1, 1, 8000, codes, annotationBytes: 4));
        Assert.Equal(codes.Select(c => (float)(G711Tests.MuLawByFormula(c) / 32768.0)), clip.Samples);
        Assert.Equal(0f, clip.Samples[^3]);
        Assert.Equal(32124 / 32768f, clip.Samples[^2]);
        Assert.Equal(-32124 / 32768f, clip.Samples[^1]);
    }

    [Fact]
    public void ALaw_IsExpandedPerG711()
    {
        var codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var clip = ReadBytes(Au(27, 1, 8000, codes));
        Assert.Equal(codes.Select(c => (float)(G711Tests.ALawByFormula(c) / 32768.0)), clip.Samples);
    }

    [Fact]
    public void Linear8_IsSigned()
    {
        var rng = new SeededRandom(8);
        var data = Enumerable.Range(0, 300).Select(_ => (byte)rng.NextInt(256)).ToArray();
        var clip = ReadBytes(Au(2, 1, 8000, data));
        Assert.Equal(data.Select(b => (float)((sbyte)b / 128.0)), clip.Samples);
    }

    [Fact]
    public void Linear24_And32_AreBigEndian()
    {
        var rng = new SeededRandom(2432);
        var v24 = Enumerable.Range(0, 200).Select(_ => rng.NextInt(1 << 24) - (1 << 23)).ToArray();
        var d24 = v24.SelectMany(v => new[] { (byte)(v >> 16), (byte)(v >> 8), (byte)v }).ToArray();
        Assert.Equal(v24.Select(v => (float)(v / 8388608.0)), ReadBytes(Au(4, 1, 8000, d24)).Samples);

        var v32 = Enumerable.Range(0, 200).Select(_ => (int)rng.NextUInt64()).ToArray();
        var d32 = v32.SelectMany(v => B32((uint)v)).ToArray();
        Assert.Equal(v32.Select(v => (float)(v / 2147483648.0)), ReadBytes(Au(5, 1, 8000, d32)).Samples);
    }

    [Fact]
    public void Float32_And64_AreBigEndian()
    {
        var rng = new SeededRandom(3264);
        var f = Enumerable.Range(0, 200).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var d32 = f.SelectMany(v => B32((uint)BitConverter.SingleToInt32Bits(v))).ToArray();
        Assert.Equal(f, ReadBytes(Au(6, 1, 8000, d32)).Samples);

        var d = Enumerable.Range(0, 200).Select(_ => rng.Uniform(-1, 1)).ToArray();
        var d64 = d.SelectMany(v =>
        {
            var b = new byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(b, v);
            return b;
        }).ToArray();
        Assert.Equal(d.Select(v => (float)v), ReadBytes(Au(7, 1, 8000, d64)).Samples);
    }

    [Fact]
    public void UnknownDataSize_ReadsToTheEnd()
    {
        var data = new byte[] { 0x40, 0x00, 0xC0, 0x00, 0x20, 0x00 };
        var clip = ReadBytes(Au(3, 1, 8000, data, dataSize: 0xFFFFFFFF));
        Assert.Equal([0.5f, -0.5f, 0.25f], clip.Samples);
    }

    [Fact]
    public void DataShorterThanDeclared_IsTruncated()
    {
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(Au(3, 1, 22050, new byte[100], dataSize: 1323000), "jazz.00054.au"));
        Assert.Equal("truncated: the AU header declares 1323000 bytes but only 100 follow", ex.Problem);
        Assert.Contains("jazz.00054.au", ex.Message);
    }

    [Fact]
    public void HeaderCutOff_IsTruncated()
    {
        var bytes = Au(3, 1, 22050, new byte[100])[..15];
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(bytes));
        Assert.Equal("truncated: the file ends inside the AU header (15 of 24 bytes)", ex.Problem);
    }

    [Fact]
    public void UnsupportedEncoding_IsNamed()
    {
        var ex = Assert.Throws<DataFileException>(() => ReadBytes(Au(23, 1, 8000, new byte[64])));
        Assert.Equal("unsupported AU encoding: G.721 ADPCM (encoding 23)", ex.Problem);
    }

    [Fact]
    public void ZeroChannels_ZeroRate_AndABadOffset_AreRejected()
    {
        Assert.Equal("invalid AU header: zero channels", Assert.Throws<DataFileException>(() => ReadBytes(Au(3, 0, 8000, new byte[8]))).Problem);
        Assert.Equal("invalid AU header: sample rate 0 Hz", Assert.Throws<DataFileException>(() => ReadBytes(Au(3, 1, 0, new byte[8]))).Problem);
        var badOffset = Au(3, 1, 8000, new byte[8]);
        BinaryPrimitives.WriteUInt32BigEndian(badOffset.AsSpan(4), 12);
        Assert.Equal("invalid AU header: data offset 12 lies inside the 24-byte header", Assert.Throws<DataFileException>(() => ReadBytes(badOffset)).Problem);
    }
}
