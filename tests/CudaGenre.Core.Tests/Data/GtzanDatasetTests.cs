using CudaGenre.Core.Audio;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Tests.Data;

public class GtzanDatasetTests
{
    [Fact]
    public void Open_KaggleImageLayout_ReportsEveryBadFileByName_AndKeepsTheRest()
    {
        using var temp = new TempFolder();
        var images = temp.File("images_original");
        var rng = new SeededRandom(1);
        foreach (var genre in new[] { "blues", "metal" })
        {
            for (var i = 0; i < 3; i++)
            {
                var image = new RgbImage(8, 6);
                rng.NextBytes(image.Pixels);
                ImageFile.WritePng(Path.Combine(images, genre, $"{genre}{i:00000}.png"), image);
            }
        }
        var good = File.ReadAllBytes(Path.Combine(images, "blues", "blues00000.png"));
        File.WriteAllBytes(Path.Combine(images, "metal", "metal00003.png"), good[..(good.Length - 20)]);
        File.WriteAllText(Path.Combine(images, "blues", "notes.txt"), "not an image");
        File.WriteAllText(Path.Combine(images, "blues", ".DS_Store"), "hidden files are ignored silently");
        Directory.CreateDirectory(Path.Combine(images, "polka"));
        File.WriteAllText(Path.Combine(images, "polka", "polka00000.png"), "x");

        var unverified = GtzanDataset.Open(temp.Path);
        var verified = GtzanDataset.Open(temp.Path, verify: true);

        Assert.Equal(7, unverified.Items.Count);
        Assert.Equal(6, verified.Items.Count);
        Assert.Equal([3, 0, 0, 0, 0, 0, 3, 0, 0, 0], verified.CountsPerGenre());
        Assert.All(verified.Items, i => Assert.Equal("8x6", i.Format));
        Assert.Equal("images_original/blues/blues00000.png", verified.Items[0].File);
        Assert.True(File.Exists(verified.PathOf(verified.Items[0])));

        var problems = verified.Problems.ToDictionary(p => p.File, p => p.Problem);
        Assert.Equal(3, problems.Count);
        Assert.Contains("truncated", problems["images_original/metal/metal00003.png"], StringComparison.Ordinal);
        Assert.Contains("not an image", problems["images_original/blues/notes.txt"], StringComparison.Ordinal);
        Assert.Contains("not a GTZAN genre", problems["images_original/polka"], StringComparison.Ordinal);
    }

    [Fact]
    public void Open_KaggleAudioLayout_ReportsATruncatedWav_AndReadsTheRest()
    {
        using var temp = new TempFolder();
        var rng = new SeededRandom(2);
        for (var i = 0; i < 3; i++)
        {
            var samples = new float[22050 / 10];
            for (var k = 0; k < samples.Length; k++)
                samples[k] = (float)rng.Uniform(-0.5, 0.5);
            AudioFile.WriteWav(temp.File("genres_original", "jazz", $"jazz.{i:00000}.wav"), new AudioClip(samples, 22050));
        }
        var cut = temp.File("genres_original", "jazz", "jazz.00001.wav");
        var bytes = File.ReadAllBytes(cut);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var ds = GtzanDataset.Open(temp.Path, MediaKind.Audio, verify: true);

        Assert.Equal(["genres_original/jazz/jazz.00000.wav", "genres_original/jazz/jazz.00002.wav"], ds.Items.Select(i => i.File));
        Assert.All(ds.Items, i => Assert.Equal("22050 Hz, 0.1 s", i.Format));
        var problem = Assert.Single(ds.Problems);
        Assert.Equal("genres_original/jazz/jazz.00001.wav", problem.File);
        Assert.Contains("truncated", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_OldAuLayout_IsFoundForAudio()
    {
        using var temp = new TempFolder();
        // A minimal Sun AU file: ".snd", header 24 bytes, 4 data bytes, 16-bit linear PCM, 22050 Hz, mono.
        byte[] au = [0x2E, 0x73, 0x6E, 0x64, 0, 0, 0, 24, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0x56, 0x22, 0, 0, 0, 1, 0x40, 0x00, 0xC0, 0x00];
        Directory.CreateDirectory(temp.File("genres", "rock"));
        File.WriteAllBytes(temp.File("genres", "rock", "rock.00000.au"), au);

        var ds = GtzanDataset.Open(temp.Path, MediaKind.Audio, verify: true);

        Assert.Equal(temp.File("genres"), ds.Folder);
        Assert.Equal("genres/rock/rock.00000.au", Assert.Single(ds.Items).File);
        Assert.Empty(ds.Problems);
    }

    [Fact]
    public void Open_AFolderThatHoldsGenreFoldersDirectly_Works()
    {
        using var temp = new TempFolder();
        var image = new RgbImage(4, 4);
        ImageFile.WritePng(temp.File("jazz", "a.png"), image);
        var ds = GtzanDataset.Open(temp.Path);
        Assert.Equal(temp.Path, ds.Folder);
        Assert.Equal("jazz/a.png", Assert.Single(ds.Items).File);
    }

    [Fact]
    public void Open_AFolderWithoutTheLayout_SaysWhatWasExpected()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<DataFileException>(() => GtzanDataset.Open(temp.Path));
        Assert.Contains("images_original/<genre>/*.png", e.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<DataFileException>(() => GtzanDataset.Open(temp.File("nope")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RealGtzanImages_Finds899ReadableImagesOf432By288()
    {
        var root = SharedData.RequireGtzan();
        var ds = GtzanDataset.Open(root, verify: true);
        Assert.Empty(ds.Problems);
        Assert.Equal([90, 90, 90, 89, 90, 90, 90, 90, 90, 90], ds.CountsPerGenre());
        Assert.All(ds.Items, i => Assert.Equal("432x288", i.Format));
    }
}
