using System.Text.Json;
using CudaGenre.Cli;
using CudaGenre.Core.Audio;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Tests.Audio;
using CudaGenre.Engine;

namespace CudaGenre.Core.Tests.Cli;

/// <summary>
/// The command line's rough edges: files in the wrong place named for what they are, the supported formats listed,
/// compressed audio end to end, verify's missing bundle, option values checked, old option names kept, help texts,
/// and the folder progress.
/// </summary>
[Collection(nameof(ConsoleUsers))]
public class CliPolishTests
{
    private static (int ExitCode, string Output) Run(params string[] args)
        => CommandOutput.Capture(() => CliApp.Create().Parse(args).Invoke(), withErrors: true);

    /// <summary>Console output with Spectre's line wrapping undone, so that a message can be looked for whole.</summary>
    private static string Flat(string text) => string.Join(' ', text.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries));

    private static string RandomPng(TempFolder temp, string name)
    {
        var image = new RgbImage(64, 48);
        new SeededRandom(21).NextBytes(image.Pixels);
        var path = temp.File(name);
        ImageFile.WritePng(path, image);
        return path;
    }

    [Fact]
    public void AnImageGivenAsTheModel_IsNamed_AndTheSwapIsSuggested()
    {
        using var temp = new TempFolder();
        var png = RandomPng(temp, "rock.png");
        var model = ModelCommandTests.WriteRandomCnn(temp);

        var (rc, output) = Run("classify", png, model, "--backend", "cpu");

        Assert.Equal(1, rc);
        Assert.Contains("this is a PNG image, not a model (arguments swapped?)", Flat(output), StringComparison.Ordinal);
        Assert.DoesNotContain("absurd", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelGivenAsTheInput_AndAnUnknownFile_AreNamed_WithTheSupportedFormats()
    {
        using var temp = new TempFolder();
        var model = ModelCommandTests.WriteRandomCnn(temp);
        var notes = temp.File("notes.txt");
        File.WriteAllText(notes, "Blue in green, 1959. Not audio.");

        var (rc, output) = Run("classify", model, model, "--backend", "cpu");
        Assert.Equal(1, rc);
        Assert.Contains("not an image or audio clip (arguments swapped?)", Flat(output), StringComparison.Ordinal);

        (rc, output) = Run("classify", model, notes, "--backend", "cpu");
        Assert.Equal(1, rc);
        var text = Flat(output);
        Assert.Contains("not a supported image or audio file; supported images: PNG, JPEG, BMP, GIF, WebP; supported audio: WAV, AU, MP3, Ogg Vorbis;", text, StringComparison.Ordinal);
        Assert.Contains("FLAC", text, StringComparison.Ordinal);
    }

    [Fact]
    public void CompressedAudio_IsClassifiedEndToEnd_LikeTheEngineOnTheDecodedClip()
    {
        using var temp = new TempFolder();
        var model = ModelCommandTests.WriteRandomCnn(temp);
        var folder = temp.File("clips");
        Directory.CreateDirectory(folder);
        string[] fixtures = FfmpegAvailable() ? ["tone.mp3", "tone.ogg", "tone.flac"] : ["tone.mp3", "tone.ogg"];
        foreach (var f in fixtures)
            File.Copy(CompressedAudioTests.Fixture(f), Path.Combine(folder, f));
        File.Copy(CompressedAudioTests.Fixture("tone.mp3"), Path.Combine(folder, "renamed.bin.wav")); // content decides

        var (rc, output) = Run("classify", model, folder, "--json", "--backend", "cpu", "--batch-size", "2");

        Assert.Equal(0, rc);
        var results = JsonDocument.Parse(output).RootElement.EnumerateArray().ToDictionary(e => Path.GetFileName(e.GetProperty("file").GetString()!), e => e.GetProperty("genre").GetString()!);
        Assert.Equal(fixtures.Length + 1, results.Count);
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        foreach (var f in fixtures)
            Assert.Equal(session.Classify(AudioFrontEnd.ToImage(AudioFile.Read(Path.Combine(folder, f)))).Label, results[f]);
        Assert.Equal(results["tone.mp3"], results["renamed.bin.wav"]);
    }

    private static bool FfmpegAvailable() => FileSignature.SupportedAudio().Contains("ffmpeg found", StringComparison.Ordinal);

    [Fact]
    public void Verify_WithoutABundleBesideTheModel_SuggestsReference()
    {
        using var temp = new TempFolder();
        var model = ModelCommandTests.WriteRandomCnn(temp);

        var (rc, output) = Run("verify", model, "--backend", "cpu");

        Assert.Equal(1, rc);
        var text = Flat(output);
        Assert.Contains("no reference bundle beside the model", text, StringComparison.Ordinal);
        Assert.Contains("--reference FILE", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("classify", "--batch-size", "0")]
    [InlineData("classify", "--batch-size", "-3")]
    [InlineData("classify", "-b", "0")]
    [InlineData("classify", "--top", "0")]
    [InlineData("classify", "--threads", "0")]
    [InlineData("evaluate", "--batch-size", "0")]
    [InlineData("evaluate", "--batch-size", "-1")]
    [InlineData("verify", "--threads", "-2")]
    public void ZeroAndNegativeCounts_AreRejected_NamingTheOption(string command, string option, string value)
    {
        using var temp = new TempFolder();
        var model = ModelCommandTests.WriteRandomCnn(temp);
        var png = RandomPng(temp, "clip.png");
        string[] args = command switch
        {
            "classify" => ["classify", model, png, option, value, "--backend", "cpu"],
            "evaluate" => ["evaluate", model, "--data", temp.Path, option, value, "--backend", "cpu"],
            _ => ["verify", model, option, value, "--backend", "cpu"],
        };

        var (rc, output) = Run(args);

        Assert.NotEqual(0, rc);
        var name = option == "-b" ? "--batch-size" : option;
        Assert.Contains($"{name} must be at least 1 (got {value})", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_TakesBatchSize_AndStillTheOldBatch_ButNotBoth()
    {
        var (rc, output) = Run("bench", "--arch", "cnn", "--backend", "cpu", "--batch-size", "0");
        Assert.Equal(1, rc);
        Assert.Contains("--batch-size: '0' is not a positive number", output, StringComparison.Ordinal);

        // The old name reaches the same value (so the same error), and is not shown in help.
        (rc, output) = Run("bench", "--arch", "cnn", "--backend", "cpu", "--batch", "0");
        Assert.Equal(1, rc);
        Assert.Contains("--batch-size: '0' is not a positive number", output, StringComparison.Ordinal);

        (rc, output) = Run("bench", "--arch", "cnn", "--backend", "cpu", "--batch", "1", "--batch-size", "2");
        Assert.Equal(1, rc);
        Assert.Contains("--batch is the old name of --batch-size: give one of them", Flat(output), StringComparison.Ordinal);

        (rc, output) = Run("bench", "--help");
        Assert.Equal(0, rc);
        Assert.Contains("--batch-size", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--batch ", output.Replace("--batch-size", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("classify")]
    [InlineData("evaluate")]
    [InlineData("verify")]
    [InlineData("bench")]
    public void ThreadsHelp_StatesItsDefaultOnce(string command)
    {
        var (rc, output) = Run(command, "--help");

        Assert.Equal(0, rc);
        var lines = output.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith("--threads", StringComparison.Ordinal));
        Assert.True(start >= 0, output);
        // The option's text runs on until the next option.
        var text = string.Join(' ', lines.Skip(start).TakeWhile((l, i) => i == 0 || !l.TrimStart().StartsWith('-')));
        Assert.Contains("every core", text, StringComparison.Ordinal);
        Assert.Contains($"[default: {Environment.ProcessorCount}]", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Split("default", StringSplitOptions.None).Length - 2);
    }

    [Fact]
    public void ClassifyFiles_ReportsProgress_AfterEveryBatch_UpToEveryFile()
    {
        using var temp = new TempFolder();
        var model = ModelCommandTests.WriteRandomCnn(temp);
        var files = Enumerable.Range(0, 7).Select(i => RandomPng(temp, $"clip{i}.png")).ToList();
        File.WriteAllBytes(files[3], [1, 2, 3]); // a failed file counts as done too
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var reports = new List<int>();

        var results = ModelCommands.ClassifyFiles(session, files, 3, 2, InputLimits.Default, failFast: false, new Recorder(reports));

        Assert.Equal(7, results.Count);
        Assert.Equal([3, 6, 7], reports);
    }

    private sealed class Recorder(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}
