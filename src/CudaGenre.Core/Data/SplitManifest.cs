using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CudaGenre.Core.Data;

/// <summary>The three parts of a data set split.</summary>
public enum SplitPart
{
    /// <summary>Used to fit the weights.</summary>
    [JsonStringEnumMemberName("train")]
    Train,

    /// <summary>Used to pick the best epoch and settings.</summary>
    [JsonStringEnumMemberName("validation")]
    Validation,

    /// <summary>Touched once, to report the final result.</summary>
    [JsonStringEnumMemberName("test")]
    Test,
}

/// <summary>One file's place in a split.</summary>
/// <param name="File">Path relative to the data set root, '/' separators.</param>
/// <param name="Label">Genre label (index into <see cref="Genres.Names"/>).</param>
/// <param name="Split">Train, validation or test.</param>
public sealed record SplitEntry(string File, int Label, SplitPart Split);

/// <summary>
/// A stratified, seeded train/validation/test split of a data set, saved as JSON. The same files and
/// seed give the same split on every machine; <see cref="Hash"/> identifies the split's content (which
/// file is in which part with which label), so a model can record the split it was trained on.
/// </summary>
/// <remarks>
/// The algorithm, exactly: per genre, the files are sorted by path (ordinal) and shuffled (Fisher–Yates)
/// with <see cref="SeededRandom"/> seeded by <c>SeededRandom.Mix(seed, label)</c>. Of the n files of a
/// genre, <c>round(n · test)</c> go to test and <c>round(n · validation)</c> to validation (rounding
/// half away from zero; at least 1 each when n ≥ 3 and the fraction is positive), taken in shuffled
/// order; the rest go to train. Each genre is thus split in the same proportions (stratified), and
/// adding a genre's files does not move another genre's.
/// <para>Exact duplicates (<see cref="DuplicateReport"/>, same file content) stay together: within a genre,
/// the copies of a group form one unit at the place of the first copy in shuffled order, and each unit goes
/// to test if all of it still fits in the test quota, else to validation if it fits there, else to train.
/// A group whose copies have different labels is placed by the lowest label; the other genres put their
/// copies on the same side (counted against their quotas first). With no duplicates this is exactly the
/// rule above, so a data set without copies splits as before.</para>
/// </remarks>
public sealed class SplitManifest
{
    /// <summary>The format tag written to and required in the JSON file.</summary>
    public const string FormatTag = "cudagenre-split/1";

    private SplitManifest(ulong seed, SplitFractions fractions, IReadOnlyList<SplitEntry> entries)
    {
        Seed = seed;
        Fractions = fractions;
        Entries = entries;
        Hash = ComputeHash(entries);
    }

    /// <summary>The seed the split was drawn with.</summary>
    public ulong Seed { get; }

    /// <summary>The requested fractions.</summary>
    public SplitFractions Fractions { get; }

    /// <summary>Every file with its label and part, sorted by file (ordinal).</summary>
    public IReadOnlyList<SplitEntry> Entries { get; }

    /// <summary>SHA-256 (lower-case hex) of the entries in canonical form; identifies the split.</summary>
    public string Hash { get; }

    /// <summary>The first 12 hex digits of <see cref="Hash"/>, for people.</summary>
    public string ShortHash => Hash[..12];

    /// <summary>The entries of one part.</summary>
    public IEnumerable<SplitEntry> Part(SplitPart part) => Entries.Where(e => e.Split == part);

    /// <summary>Counts per genre (rows, label order) and part (columns: train, validation, test).</summary>
    public int[,] Counts()
    {
        var counts = new int[Genres.Count, 3];
        foreach (var e in Entries)
            counts[e.Label, (int)e.Split]++;
        return counts;
    }

    /// <summary>Splits <paramref name="items"/> (see the remarks for the exact algorithm), with no duplicate groups.</summary>
    public static SplitManifest Create(IEnumerable<DatasetItem> items, ulong seed = 42, SplitFractions? fractions = null)
        => Create(items, DuplicateReport.None, seed, fractions);

    /// <summary>Splits the items of <paramref name="dataset"/>, keeping files of identical content (found by hashing every file) on one side.</summary>
    public static SplitManifest Create(GtzanDataset dataset, ulong seed = 42, SplitFractions? fractions = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Create(dataset.Items, DuplicateReport.Find(dataset), seed, fractions);
    }

    /// <summary>
    /// Splits <paramref name="items"/> (see the remarks for the exact algorithm), keeping every group of
    /// <paramref name="duplicates"/> in one part.
    /// </summary>
    public static SplitManifest Create(IEnumerable<DatasetItem> items, DuplicateReport duplicates, ulong seed = 42, SplitFractions? fractions = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(duplicates);
        fractions ??= SplitFractions.Default;
        var entries = new List<SplitEntry>();
        // A group that spans genres (copies with different labels) is placed by the first genre, in label
        // order, that holds one of its files; later genres put their copies on the same side.
        var placed = new Dictionary<int, SplitPart>();
        foreach (var genre in items.GroupBy(i => i.Label).OrderBy(g => g.Key))
        {
            var files = genre.Select(i => i.File).Order(StringComparer.Ordinal).ToArray();
            var duplicate = files.Zip(files.Skip(1)).FirstOrDefault(p => p.First == p.Second);
            if (duplicate.First is not null)
                throw new ArgumentException($"The file '{duplicate.First}' is listed twice.", nameof(items));
            new SeededRandom(SeededRandom.Mix(seed, (ulong)genre.Key)).Shuffle(files.AsSpan());
            var test = PartSize(files.Length, fractions.Test);
            var validation = PartSize(files.Length, fractions.Validation);
            if (test + validation > files.Length)
                throw new ArgumentException($"Genre '{Genres.NameOf(genre.Key)}' has {files.Length} files: too few for the requested split.", nameof(items));

            // Units in shuffled order: a file alone, or all of this genre's files of one duplicate group
            // (at the place of its first member). With no duplicates every unit is one file and this is
            // exactly "the first `test` files to test, the next `validation` to validation".
            var units = new List<(int Group, List<string> Files)>();
            var unitOfGroup = new Dictionary<int, int>();
            foreach (var file in files)
            {
                var group = duplicates.GroupOf(file);
                if (group >= 0 && unitOfGroup.TryGetValue(group, out var u))
                {
                    units[u].Files.Add(file);
                    continue;
                }
                if (group >= 0)
                    unitOfGroup[group] = units.Count;
                units.Add((group, [file]));
            }

            // Copies already placed by an earlier genre count against this genre's quotas first.
            int inTest = 0, inValidation = 0;
            foreach (var (group, unitFiles) in units)
            {
                if (group >= 0 && placed.TryGetValue(group, out var earlier))
                {
                    inTest += earlier == SplitPart.Test ? unitFiles.Count : 0;
                    inValidation += earlier == SplitPart.Validation ? unitFiles.Count : 0;
                }
            }
            foreach (var (group, unitFiles) in units)
            {
                SplitPart part;
                if (group >= 0 && placed.TryGetValue(group, out var earlier))
                {
                    part = earlier;
                }
                else
                {
                    // A unit goes to the first part that still has room for all of it.
                    part = inTest + unitFiles.Count <= test ? SplitPart.Test
                        : inValidation + unitFiles.Count <= validation ? SplitPart.Validation
                        : SplitPart.Train;
                    inTest += part == SplitPart.Test ? unitFiles.Count : 0;
                    inValidation += part == SplitPart.Validation ? unitFiles.Count : 0;
                    if (group >= 0)
                        placed[group] = part;
                }
                foreach (var file in unitFiles)
                    entries.Add(new(file, genre.Key, part));
            }
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        return new SplitManifest(seed, fractions, entries);
    }

    /// <summary>The duplicate groups of <paramref name="duplicates"/> whose files this split puts in more than one part (files not in the split are ignored).</summary>
    public IReadOnlyList<DuplicateGroup> GroupsSplitApart(DuplicateReport duplicates)
    {
        ArgumentNullException.ThrowIfNull(duplicates);
        var partOf = Entries.ToDictionary(e => e.File, e => e.Split, StringComparer.Ordinal);
        return [.. duplicates.Groups.Where(g => g.Items.Select(i => partOf.TryGetValue(i.File, out var p) ? (SplitPart?)p : null).OfType<SplitPart>().Distinct().Count() > 1)];
    }

    /// <summary>Writes the manifest as indented JSON (atomically).</summary>
    public void Save(string path)
    {
        var doc = new ManifestDocument
        {
            Format = FormatTag,
            Seed = Seed,
            Fractions = Fractions,
            Hash = Hash,
            Genres = [.. Genres.Names],
            Entries = [.. Entries.Select(e => new EntryDocument { File = e.File, Label = e.Label, Genre = Genres.NameOf(e.Label), Split = e.Split })],
        };
        AtomicFile.WriteText(path, JsonSerializer.Serialize(doc, SplitJsonContext.Default.ManifestDocument));
    }

    /// <summary>Reads a manifest and checks it: format, labels, duplicates, and that the recorded hash matches the entries.</summary>
    /// <exception cref="DataFileException">The file is missing, not a split manifest, or inconsistent.</exception>
    public static SplitManifest Load(string path)
    {
        ManifestDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(File.ReadAllText(path), SplitJsonContext.Default.ManifestDocument);
        }
        catch (JsonException e)
        {
            throw new DataFileException(path, $"not valid split-manifest JSON ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message})", e);
        }
        if (doc is null || doc.Format != FormatTag)
            throw new DataFileException(path, $"not a CudaGenre split manifest (format is '{doc?.Format}', expected '{FormatTag}')");
        if (doc.Fractions is null || doc.Entries is null || doc.Hash is null)
            throw new DataFileException(path, "the manifest lacks fractions, entries or hash");
        var entries = new List<SplitEntry>(doc.Entries.Count);
        foreach (var e in doc.Entries)
        {
            if (string.IsNullOrEmpty(e.File) || e.Label < 0 || e.Label >= Genres.Count || !Enum.IsDefined(e.Split))
                throw new DataFileException(path, $"invalid entry (file '{e.File}', label {e.Label}, split {e.Split})");
            entries.Add(new(e.File, e.Label, e.Split));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        for (var i = 1; i < entries.Count; i++)
        {
            if (entries[i].File == entries[i - 1].File)
                throw new DataFileException(path, $"the file '{entries[i].File}' is listed twice");
        }
        var manifest = new SplitManifest(doc.Seed, doc.Fractions, entries);
        if (!string.Equals(manifest.Hash, doc.Hash, StringComparison.OrdinalIgnoreCase))
            throw new DataFileException(path, $"the recorded hash {doc.Hash[..Math.Min(12, doc.Hash.Length)]}… does not match the entries ({manifest.ShortHash}…): the manifest was edited or damaged");
        return manifest;
    }

    private static int PartSize(int n, double fraction)
    {
        if (fraction <= 0)
            return 0;
        var size = (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero);
        return n >= 3 ? Math.Max(size, 1) : size;
    }

    private static string ComputeHash(IReadOnlyList<SplitEntry> entries)
    {
        var canonical = new StringBuilder("cudagenre-split/1\n");
        foreach (var e in entries)
            canonical.Append(e.File).Append('\t').Append(e.Label).Append('\t').Append(e.Split.ToString().ToLowerInvariant()).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }
}

/// <summary>The fractions of a split; they must be non-negative and sum to 1.</summary>
public sealed record SplitFractions
{
    /// <summary>80 / 10 / 10.</summary>
    public static SplitFractions Default { get; } = new(0.8, 0.1, 0.1);

    /// <summary>Creates fractions, checking they are valid.</summary>
    public SplitFractions(double train, double validation, double test)
    {
        if (train < 0 || validation < 0 || test < 0 || Math.Abs(train + validation + test - 1) > 1e-9)
            throw new ArgumentException($"Split fractions must be non-negative and sum to 1 (got {train} + {validation} + {test}).");
        Train = train;
        Validation = validation;
        Test = test;
    }

    /// <summary>Fraction for training.</summary>
    public double Train { get; }

    /// <summary>Fraction for validation.</summary>
    public double Validation { get; }

    /// <summary>Fraction for the test.</summary>
    public double Test { get; }
}

internal sealed class ManifestDocument
{
    public string? Format { get; set; }
    public ulong Seed { get; set; }
    public SplitFractions? Fractions { get; set; }
    public string? Hash { get; set; }
    public List<string>? Genres { get; set; }
    public List<EntryDocument>? Entries { get; set; }
}

internal sealed class EntryDocument
{
    public string? File { get; set; }
    public int Label { get; set; }
    public string? Genre { get; set; }
    public SplitPart Split { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ManifestDocument))]
internal sealed partial class SplitJsonContext : JsonSerializerContext;
