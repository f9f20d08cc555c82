using System.Net;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Audio;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Serving.Tests;

/// <summary><c>POST /v2/models/{name}/classify</c>: files in, genres out, as the offline engine classifies them.</summary>
public sealed class ClassifyTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(1) });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    internal static byte[] RandomPng(int width, int height, ulong seed)
    {
        var random = new SeededRandom(seed);
        var image = new RgbImage(width, height);
        random.NextBytes(image.Pixels);
        var path = Path.Combine(Path.GetTempPath(), $"cudagenre-serving-{Guid.NewGuid():N}.png");
        try
        {
            ImageFile.WritePng(path, image);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static byte[] RandomWav(double seconds, ulong seed)
    {
        var random = new SeededRandom(seed);
        var samples = new float[(int)(22050 * seconds)];
        for (var i = 0; i < samples.Length; i++)
            samples[i] = (float)(0.3 * Math.Sin(i * 0.05 * (1 + i / 20000.0)) + 0.1 * (random.NextDouble() - 0.5));
        using var stream = new MemoryStream();
        AudioFile.WriteWav(stream, new AudioClip(samples, 22050));
        return stream.ToArray();
    }

    private async Task<JsonNode> Classify(byte[] body, string query = "")
    {
        var response = await _server.Http.PostAsync($"/v2/models/cnn/classify{query}", new ByteArrayContent(body), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static void AssertSame(Engine.Classification expected, JsonNode actual, int top)
    {
        Assert.Equal(expected.Label, (string)actual["genre"]!);
        var list = actual["top"]!.AsArray();
        Assert.Equal(top, list.Count);
        var reference = expected.Top(top);
        for (var i = 0; i < top; i++)
        {
            Assert.Equal(reference[i].Label, (string)list[i]!["genre"]!);
            Assert.Equal(reference[i].Probability, (float)list[i]!["probability"]!, 4);
        }
    }

    [Fact]
    public async Task Png_IsClassifiedAsTheEngineClassifiesIt()
    {
        var png = RandomPng(50, 40, 900);
        var result = await Classify(png, "?top=5&spectrogram=true");
        AssertSame(TestModel.Session.Classify(ImageFile.Decode(png, "reference")), result, 5);
        Assert.Equal("image", (string)result["input"]!);
        Assert.Equal(50, (int)result["image"]!["width"]!);
        Assert.True(Convert.FromBase64String((string)result["image"]!["png"]!).AsSpan().StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));
        Assert.True((double)result["timing_ms"]!["total"]! > 0);
    }

    [Fact]
    public async Task Wav_IsTurnedIntoTheSpectrogramTheCliMakes()
    {
        var wav = RandomWav(2.0, 901);
        var result = await Classify(wav);
        using var stream = new MemoryStream(wav);
        var image = AudioFrontEnd.ToImage(AudioFile.Read(stream, "reference"));
        AssertSame(TestModel.Session.Classify(image), result, 3);
        Assert.Equal("audio", (string)result["input"]!);
        Assert.Equal((image.Width, image.Height), ((int)result["image"]!["width"]!, (int)result["image"]!["height"]!));
    }

    [Theory]
    [InlineData("tone.mp3")]
    [InlineData("tone.ogg")]
    public async Task CompressedAudio_IsDecodedAsTheCliDecodesIt(string fixture)
    {
        // The Core tests' fixtures (made by ffmpeg; decoded here by NLayer / NVorbis, no encoder needed).
        var bytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture));
        var result = await Classify(bytes);
        using var stream = new MemoryStream(bytes);
        var image = AudioFrontEnd.ToImage(AudioFile.Read(stream, "reference"));
        AssertSame(TestModel.Session.Classify(image), result, 3);
        Assert.Equal("audio", (string)result["input"]!);
    }

    [Theory]
    [InlineData(new byte[0], "the body is empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, "the uploaded image")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0 }, "the uploaded audio")]
    public async Task Garbage_Is400_NamingTheUpload(byte[] body, string message)
    {
        var response = await _server.Http.PostAsync("/v2/models/cnn/classify", new ByteArrayContent(body), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["error"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebPage_IsServed()
    {
        var html = await _server.Http.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("<title>CudaGenre</title>", html, StringComparison.Ordinal);
        var script = await _server.Http.GetAsync("/app.js", TestContext.Current.CancellationToken);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
    }
}
