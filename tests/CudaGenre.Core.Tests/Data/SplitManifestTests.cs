using CudaGenre.Core.Data;

namespace CudaGenre.Core.Tests.Data;

public class SplitManifestTests
{
    // The real GTZAN image set here: 90 per genre, disco 89.
    private static readonly int[] GtzanCounts = [90, 90, 90, 89, 90, 90, 90, 90, 90, 90];

    [Fact]
    public void Split_MatchesAnIndependentImplementationOfTheDocumentedAlgorithm()
    {
        // Expected hashes computed by a separate Python implementation of the algorithm in the
        // SplitManifest remarks (xoshiro256**, Lemire bounded ints, Fisher–Yates, SHA-256 of the
        // canonical lines). Equality proves the split is what the docs say, on any machine.
        Assert.Equal("6b5d1f192aaef84cbdfb5fe9232a82909bc9eebdd9f735e09b4b6e359be3aa9c", SplitManifest.Create(Items(GtzanCounts), seed: 42).Hash);
        Assert.Equal("bb414ea01bb1ea520b47e93ad8787dc6c5c4e0b9815d6a46f0c469385eb72efc", SplitManifest.Create(Items([.. Enumerable.Repeat(12, 10)]), seed: 7).Hash);
        var firstBluesTests = SplitManifest.Create(Items(GtzanCounts), 42).Part(SplitPart.Test).Where(e => e.Label == 0).Take(3).Select(e => e.File);
        Assert.Equal(["images_original/blues/blues00000.png", "images_original/blues/blues00013.png", "images_original/blues/blues00027.png"], firstBluesTests);
    }

    [Fact]
    public void Split_IsStratified_80_10_10_PerGenre()
    {
        var counts = SplitManifest.Create(Items(GtzanCounts), seed: 1).Counts();
        for (var g = 0; g < Genres.Count; g++)
        {
            var expectedTrain = GtzanCounts[g] - 18;
            Assert.Equal((expectedTrain, 9, 9), (counts[g, 0], counts[g, 1], counts[g, 2]));
        }
    }

    [Fact]
    public void SameSeed_SameHash_WhateverTheInputOrder_OtherSeed_OtherHash()
    {
        var items = Items(GtzanCounts);
        var shuffled = items.ToArray();
        new SeededRandom(99).Shuffle(shuffled.AsSpan());

        var a = SplitManifest.Create(items, seed: 5);
        var b = SplitManifest.Create(shuffled, seed: 5);
        var c = SplitManifest.Create(items, seed: 6);

        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(a.Entries, b.Entries);
        Assert.NotEqual(a.Hash, c.Hash);
    }

    [Fact]
    public void AddingFilesToOneGenre_DoesNotMoveAnotherGenresFiles()
    {
        var before = SplitManifest.Create(Items(GtzanCounts), seed: 3);
        var more = (int[])GtzanCounts.Clone();
        more[6] += 10;
        var after = SplitManifest.Create(Items(more), seed: 3);
        Assert.Equal(before.Entries.Where(e => e.Label != 6), after.Entries.Where(e => e.Label != 6));
    }

    [Fact]
    public void SmallGenres_StillGetOneValidationAndOneTestFile()
    {
        var counts = SplitManifest.Create(Items([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), seed: 2).Counts();
        for (var g = 0; g < Genres.Count; g++)
        {
            Assert.True(counts[g, 1] >= 1 && counts[g, 2] >= 1, $"genre {g}");
            Assert.True(counts[g, 0] >= 1, $"genre {g}");
        }
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameSplit()
    {
        using var temp = new TempFolder();
        var path = temp.File("split.json");
        var m = SplitManifest.Create(Items(GtzanCounts), seed: 11, new SplitFractions(0.7, 0.2, 0.1));
        m.Save(path);

        var back = SplitManifest.Load(path);

        Assert.Equal(m.Hash, back.Hash);
        Assert.Equal(m.Entries, back.Entries);
        Assert.Equal(11UL, back.Seed);
        Assert.Equal(0.2, back.Fractions.Validation);
        Assert.Contains("\"split\": \"validation\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AnEditedManifest_ReportsTheHashMismatch()
    {
        using var temp = new TempFolder();
        var path = temp.File("split.json");
        SplitManifest.Create(Items(GtzanCounts), seed: 11).Save(path);
        var text = File.ReadAllText(path);
        var i = text.IndexOf("\"split\": \"test\"", StringComparison.Ordinal);
        File.WriteAllText(path, text[..i] + "\"split\": \"train\"" + text[(i + "\"split\": \"test\"".Length)..]);

        var e = Assert.Throws<DataFileException>(() => SplitManifest.Load(path));
        Assert.Contains("does not match", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ForeignOrBrokenJson_SaysSo()
    {
        using var temp = new TempFolder();
        var foreign = temp.File("foreign.json");
        File.WriteAllText(foreign, """{"format": "something-else", "entries": []}""");
        Assert.Contains("not a CudaGenre split manifest", Assert.Throws<DataFileException>(() => SplitManifest.Load(foreign)).Message, StringComparison.Ordinal);

        var broken = temp.File("broken.json");
        File.WriteAllText(broken, """{"format": "cudagenre-split/1", "entries": [""");
        Assert.Contains("not valid split-manifest JSON", Assert.Throws<DataFileException>(() => SplitManifest.Load(broken)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fractions_MustSumToOne()
        => Assert.Throws<ArgumentException>(() => new SplitFractions(0.8, 0.1, 0.2));

    private static List<DatasetItem> Items(int[] countsPerGenre)
    {
        var items = new List<DatasetItem>();
        for (var g = 0; g < countsPerGenre.Length; g++)
        {
            var name = Genres.NameOf(g);
            for (var i = 0; i < countsPerGenre[g]; i++)
                items.Add(new($"images_original/{name}/{name}{i:00000}.png", g));
        }
        return items;
    }
}
