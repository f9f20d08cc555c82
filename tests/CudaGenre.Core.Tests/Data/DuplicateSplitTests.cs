using System.Text.Json.Nodes;
using CudaGenre.Cli;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Tests.Cli;

namespace CudaGenre.Core.Tests.Data;

/// <summary>Exact duplicates (same bytes) are found by content and never straddle a split.</summary>
[Collection(nameof(ConsoleUsers))]
public class DuplicateSplitTests
{
    [Fact]
    public void Find_GroupsByteIdenticalFiles_AsAPairwiseByteComparisonDoes()
    {
        using var temp = new TempFolder();
        var root = MakeData(temp, perGenre: 6, seed: 1);
        // blues00001 = blues00004 = blues00005 (a group of three), blues00002 = metal00000 (different labels),
        // and a near copy that differs in one pixel, which is not a duplicate.
        Copy(root, "blues/blues00001.png", "blues/blues00004.png");
        Copy(root, "blues/blues00001.png", "blues/blues00005.png");
        Copy(root, "blues/blues00002.png", "metal/metal00000.png");
        var near = ImageFile.Read(Path.Combine(root, "images_original", "jazz", "jazz00001.png"));
        near.Pixels[0] ^= 1;
        ImageFile.WritePng(Path.Combine(root, "images_original", "jazz", "jazz00003.png"), near);

        var ds = GtzanDataset.Open(root);
        var report = DuplicateReport.Find(ds);

        // Reference: compare every pair of files byte for byte (no hashing).
        var bytes = ds.Items.Select(i => File.ReadAllBytes(ds.PathOf(i))).ToArray();
        var expected = new List<string[]>();
        var taken = new bool[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            if (taken[i])
                continue;
            var same = Enumerable.Range(i, bytes.Length - i).Where(j => bytes[j].AsSpan().SequenceEqual(bytes[i])).ToArray();
            foreach (var j in same)
                taken[j] = true;
            if (same.Length > 1)
                expected.Add([.. same.Select(j => ds.Items[j].File)]);
        }
        Assert.Equal(expected, report.Groups.Select(g => g.Items.Select(i => i.File).ToArray()));
        Assert.Equal(2, report.Groups.Count); // the near copy is not one
        Assert.Equal(3, report.RedundantFiles);
        var conflict = Assert.Single(report.ConflictingGroups);
        Assert.Equal(["images_original/blues/blues00002.png", "images_original/metal/metal00000.png"], conflict.Items.Select(i => i.File));
        Assert.Equal(-1, report.GroupOf("images_original/rock/rock00000.png"));
    }

    [Fact]
    public void Split_KeepsEveryDuplicateGroupInOnePart_ForManySeeds_AndKeepsTheQuotas()
    {
        using var temp = new TempFolder();
        var root = MakeData(temp, perGenre: 12, seed: 2);
        Copy(root, "pop/pop00001.png", "pop/pop00002.png");
        Copy(root, "pop/pop00001.png", "pop/pop00003.png");
        Copy(root, "hiphop/hiphop00004.png", "hiphop/hiphop00005.png");
        Copy(root, "metal/metal00007.png", "rock/rock00007.png");
        Copy(root, "disco/disco00000.png", "disco/disco00011.png");
        var ds = GtzanDataset.Open(root);
        var report = DuplicateReport.Find(ds);
        Assert.Equal(4, report.Groups.Count);

        var apartWithoutGrouping = 0;
        for (ulong seed = 0; seed < 60; seed++)
        {
            var split = SplitManifest.Create(ds.Items, report, seed);
            Assert.Equal(ds.Items.Count, split.Entries.Count);
            // Independent check from the bytes: files with the same bytes have the same part.
            var partOf = split.Entries.ToDictionary(e => e.File, e => e.Split);
            foreach (var a in ds.Items)
            {
                foreach (var b in ds.Items)
                {
                    if (string.CompareOrdinal(a.File, b.File) < 0 && File.ReadAllBytes(ds.PathOf(a)).AsSpan().SequenceEqual(File.ReadAllBytes(ds.PathOf(b))))
                        Assert.True(partOf[a.File] == partOf[b.File], $"seed {seed}: {a.File} in {partOf[a.File]}, {b.File} in {partOf[b.File]}");
                }
            }
            Assert.Empty(split.GroupsSplitApart(report));
            // 12 files per genre: 1 test, 1 validation. A genre gets at most its quota, plus copies placed by another genre.
            var counts = split.Counts();
            for (var g = 0; g < Genres.Count; g++)
            {
                var extra = Genres.NameOf(g) == "rock" ? 1 : 0;
                Assert.InRange(counts[g, 2], 0, 1 + extra);
                Assert.InRange(counts[g, 1], 0, 1 + extra);
                Assert.Equal(12, counts[g, 0] + counts[g, 1] + counts[g, 2]);
            }
            // The pop group of three cannot fit a quota of one: it always trains.
            Assert.Equal(SplitPart.Train, partOf["images_original/pop/pop00001.png"]);
            apartWithoutGrouping += SplitManifest.Create(ds.Items, seed).GroupsSplitApart(report).Count > 0 ? 1 : 0;
        }
        // The grouping is what does it: the plain split would have separated copies for some seeds.
        Assert.True(apartWithoutGrouping > 0);
    }

    [Fact]
    public void Split_WithoutDuplicates_IsExactlyThePlainSplit()
    {
        using var temp = new TempFolder();
        var ds = GtzanDataset.Open(MakeData(temp, perGenre: 12, seed: 3));
        var report = DuplicateReport.Find(ds);
        Assert.Empty(report.Groups);
        for (ulong seed = 0; seed < 5; seed++)
            Assert.Equal(SplitManifest.Create(ds.Items, seed).Hash, SplitManifest.Create(ds, seed).Hash);
    }

    [Fact]
    public void DataInfoJson_ListsTheDuplicateGroups()
    {
        using var temp = new TempFolder();
        var root = MakeData(temp, perGenre: 3, seed: 4);
        Copy(root, "blues/blues00001.png", "country/country00002.png");
        var (rc, output) = CommandOutput.Capture(() => CliApp.Create().Parse(["data", "info", root, "--json"]).Invoke());
        Assert.Equal(0, rc);
        var json = JsonNode.Parse(output)!;
        var duplicates = json["duplicates"]!;
        Assert.Equal(1, (int)duplicates["redundant"]!);
        Assert.Equal(1, (int)duplicates["labelConflicts"]!);
        var group = duplicates["groups"]!.AsArray().Single()!;
        Assert.Equal(["images_original/blues/blues00001.png", "images_original/country/country00002.png"], group["files"]!.AsArray().Select(f => (string)f!));
        Assert.True((bool)group["labelsDiffer"]!);
    }

    [Fact]
    public void RealGtzan_Has11IdenticalPairs_OneAcrossLabels_AndTheSplitKeepsThemTogether()
    {
        var ds = GtzanDataset.Open(SharedData.RequireGtzan());
        var report = DuplicateReport.Find(ds);
        Assert.Equal(11, report.Groups.Count);
        Assert.All(report.Groups, g => Assert.Equal(2, g.Items.Count));
        var conflict = Assert.Single(report.ConflictingGroups);
        Assert.Equal(["images_original/metal/metal00058.png", "images_original/rock/rock00016.png"], conflict.Items.Select(i => i.File));

        var plain = SplitManifest.Create(ds.Items, 42);
        var grouped = SplitManifest.Create(ds.Items, report, 42);
        Assert.Single(plain.GroupsSplitApart(report)); // the old split let one pair cross into validation
        Assert.Empty(grouped.GroupsSplitApart(report));
        // Hashes from split_reference.py (next to this file), an independent Python implementation of the
        // documented algorithm: with duplicates b1791aa0…, and without them a0ca1da9…, the split of the
        // 2026-11-24 trainer runs (their config.json). The duplicate-aware split moves pop00071 (the copy of
        // validation's pop00067) from train to validation and pop00021 from validation to train; test is unchanged.
        Assert.Equal("b1791aa0d2776ad62a7ae8d15e5a15e3304f56947f33d111c3f0bdfe4312af32", grouped.Hash);
        Assert.Equal("a0ca1da9a79b1ef153fa7059d01b793640ecc352b35df592949009cd8a4b485c", plain.Hash);
        var moved = plain.Entries.Zip(grouped.Entries).Where(p => p.First.Split != p.Second.Split).Select(p => (p.First.File, p.First.Split, p.Second.Split));
        Assert.Equal(
            [("images_original/pop/pop00021.png", SplitPart.Validation, SplitPart.Train), ("images_original/pop/pop00071.png", SplitPart.Train, SplitPart.Validation)],
            moved);
    }

    private static string MakeData(TempFolder temp, int perGenre, ulong seed)
    {
        var root = temp.File("data");
        var rng = new SeededRandom(seed);
        foreach (var genre in Genres.Names)
        {
            for (var i = 0; i < perGenre; i++)
            {
                var image = new RgbImage(4, 3);
                rng.NextBytes(image.Pixels);
                ImageFile.WritePng(Path.Combine(root, "images_original", genre, $"{genre}{i:00000}.png"), image);
            }
        }
        return root;
    }

    private static void Copy(string root, string from, string to)
        => File.Copy(Path.Combine(root, "images_original", from), Path.Combine(root, "images_original", to), overwrite: true);
}
