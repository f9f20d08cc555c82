using CudaGenre.Cli;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Tests.Cli;

// The CLI writes to the process console, so these tests run one at a time.
[Collection(nameof(ConsoleUsers))]
public class DataCommandTests
{
    [Fact]
    public void Split_WritesAManifestThatLoads_AndSynth_WritesTheGtzanLayout()
    {
        using var temp = new TempFolder();
        var data = temp.File("data");
        var rc = Invoke("data", "synth", "--out", data, "--count-per-genre", "3", "--seconds", "2", "--size", "64x48", "--wav", "--seed", "5");
        Assert.Equal(0, rc);
        Assert.True(File.Exists(Path.Combine(data, "images_original", "blues", "blues00002.png")));
        Assert.True(File.Exists(Path.Combine(data, "genres_original", "rock", "rock.00000.wav")));
        Assert.Equal((64, 48), (ImageFile.Read(Path.Combine(data, "images_original", "pop", "pop00001.png")) is var i ? (i.Width, i.Height) : default));

        var manifestPath = temp.File("split.json");
        Assert.Equal(0, Invoke("data", "split", data, "--seed", "9", "--out", manifestPath));
        var manifest = SplitManifest.Load(manifestPath);
        Assert.Equal(30, manifest.Entries.Count);
        Assert.Equal(10, manifest.Part(SplitPart.Test).Count());

        Assert.Equal(0, Invoke("data", "info", data, "--audio", "--json"));

        // Fractions that do not sum to 1 are refused before anything is written.
        var refused = temp.File("refused.json");
        Assert.Equal(1, Invoke("data", "split", data, "--train", "0.9", "--out", refused));
        Assert.False(File.Exists(refused));
    }

    [Fact]
    public void Commands_GiveExitCode1_AndNoCrash_OnBadInput()
    {
        using var temp = new TempFolder();
        Assert.Equal(1, Invoke("data", "info", temp.File("missing")));
        Assert.Equal(1, Invoke("data", "split", temp.Path));
        Assert.Equal(1, Invoke("data", "synth", "--out", temp.Path, "--size", "big"));
    }

    private static int Invoke(params string[] args) => CliApp.Create().Parse(args).Invoke();
}

[CollectionDefinition(nameof(ConsoleUsers), DisableParallelization = true)]
public sealed class ConsoleUsers;
