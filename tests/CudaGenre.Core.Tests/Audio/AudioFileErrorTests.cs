using CudaGenre.Core.Audio;
using static CudaGenre.Core.Tests.Audio.AudioTestFiles;

namespace CudaGenre.Core.Tests.Audio;

/// <summary>Unusable files: each must raise <see cref="DataFileException"/> naming the file and the precise problem.</summary>
public sealed class AudioFileErrorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TruncatedWav_SaysHowMuchDataIsMissing()
    {
        // A 30-second 22050 Hz 16-bit header, but only 4000 bytes of samples.
        var full = Riff(Chunk("fmt ", FmtBody(1, 1, 22050, 16)), Chunk("data", new byte[4000], declaredSize: 1323000));
        var ex = ReadFile("blues.00042.wav", full);
        Assert.Equal("truncated: the data chunk declares 1323000 bytes but only 4000 follow", ex.Problem);
    }

    [Fact]
    public void HeaderOnlyWav_IsTruncated()
    {
        var headerOnly = Riff(Chunk("fmt ", FmtBody(1, 1, 22050, 16)), Chunk("data", [], declaredSize: 1323000));
        Assert.Equal(44, headerOnly.Length);
        var ex = ReadFile("header-only.wav", headerOnly);
        Assert.Equal("truncated: the data chunk declares 1323000 bytes but only 0 follow", ex.Problem);
    }

    [Fact]
    public void WavCutInsideTheFmtChunk_IsTruncated()
    {
        var bytes = Wav(1, 1, 22050, 16, new byte[100])[..30];
        var ex = ReadFile("cut.wav", bytes);
        Assert.Equal("truncated: the fmt chunk declares 16 bytes but the file ends inside it", ex.Problem);
    }

    [Fact]
    public void WavCutInsideTheRiffHeader_IsTruncated()
    {
        var ex = ReadFile("cut.wav", Wav(1, 1, 22050, 16, new byte[100])[..9]);
        Assert.Equal("truncated: the file ends inside the RIFF header (9 of 12 bytes)", ex.Problem);
    }

    [Fact]
    public void WavCutInsideAChunkHeader_IsTruncated()
    {
        var ex = ReadFile("cut.wav", Wav(1, 1, 22050, 16, new byte[100])[..40]);
        Assert.Equal("truncated: the file ends inside a chunk header (4 of 8 bytes)", ex.Problem);
    }

    [Fact]
    public void WavWithoutDataChunk_SaysSo()
    {
        var ex = ReadFile("no-data.wav", Riff(Chunk("fmt ", FmtBody(1, 1, 22050, 16)), Chunk("LIST", [.. "INFO"u8])));
        Assert.Equal("no data chunk: the file ends before any audio", ex.Problem);
    }

    [Fact]
    public void WavWithDataBeforeFmt_SaysSo()
    {
        var ex = ReadFile("order.wav", Riff(Chunk("data", new byte[10]), Chunk("fmt ", FmtBody(1, 1, 22050, 16))));
        Assert.Equal("invalid WAV: the data chunk comes before the fmt chunk", ex.Problem);
    }

    [Fact]
    public void WavWithAnEmptyDataChunk_HasNoAudio()
    {
        var ex = ReadFile("silent.wav", Wav(1, 2, 22050, 16, []));
        Assert.Equal("no audio: the data chunk holds 0 bytes, less than one 4-byte frame", ex.Problem);
    }

    [Fact]
    public void RiffThatIsNotWave_IsNamed()
    {
        byte[] avi = [.. "RIFF"u8, .. U32(100), .. "AVI "u8, .. new byte[100]];
        var ex = ReadFile("movie.wav", avi);
        Assert.Equal("not a WAV file: a RIFF file of type 'AVI ', not 'WAVE'", ex.Problem);
    }

    [Fact]
    public void EmptyFile_SaysEmpty()
    {
        var ex = ReadFile("empty.wav", []);
        Assert.Equal("empty file (0 bytes)", ex.Problem);
    }

    [Fact]
    public void TinyFile_IsTooShort()
    {
        var ex = ReadFile("tiny.wav", [0x52, 0x49]);
        Assert.Equal("truncated: the file is only 2 bytes long, too short for an audio header", ex.Problem);
    }

    [Fact]
    public void ZipFile_IsNotAudio_AndItsMagicIsShown()
    {
        var rng = new SeededRandom(99);
        byte[] zip = [0x50, 0x4B, 0x03, 0x04, .. Enumerable.Range(0, 200).Select(_ => (byte)rng.NextInt(256))];
        var ex = ReadFile("genres.zip.wav", zip);
        Assert.StartsWith("not a supported audio file (starts with 'PK\\x03\\x04', a ZIP archive); supported audio: WAV, AU, MP3, Ogg Vorbis;", ex.Problem);
    }

    [Fact]
    public void RandomGarbage_IsNotAudio()
    {
        var rng = new SeededRandom(100);
        var garbage = Enumerable.Range(0, 5000).Select(_ => (byte)rng.NextInt(256)).ToArray();
        garbage[0] = 0xFF; // not 'R' or '.', whatever the generator drew
        var ex = ReadFile("noise.bin", garbage);
        Assert.StartsWith("not a supported audio file (starts with '\\xFF", ex.Problem);
    }

    [Fact]
    public void OtherContainers_AreNamed()
    {
        Assert.Equal("unsupported WAV variant: big-endian RIFX", ReadFile("a.wav", [.. "RIFX"u8, .. new byte[40]]).Problem);
        Assert.Equal("unsupported WAV variant: RF64 (64-bit sizes)", ReadFile("b.wav", [.. "RF64"u8, .. new byte[40]]).Problem);
        Assert.Equal("unsupported AU variant: little-endian ('dns.' magic)", ReadFile("c.au", [.. "dns."u8, .. new byte[40]]).Problem);
    }

    [Fact]
    public void ChunkLongerThanTheFile_IsTruncated()
    {
        var bytes = Riff(Chunk("fmt ", FmtBody(1, 1, 22050, 16)), Chunk("LIST", new byte[10], declaredSize: 5000));
        var ex = ReadFile("list.wav", bytes);
        Assert.Equal("truncated: the 'LIST' chunk declares 5000 bytes but only 10 follow", ex.Problem);
    }

    [Fact]
    public void MissingFile_IsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => AudioFile.Read(_temp.File("absent.wav")));
    }

    private DataFileException ReadFile(string name, byte[] bytes)
    {
        var path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<DataFileException>(() => AudioFile.Read(path));
        Assert.Equal(path, ex.FilePath);
        Assert.Equal($"{path}: {ex.Problem}", ex.Message);
        return ex;
    }
}
