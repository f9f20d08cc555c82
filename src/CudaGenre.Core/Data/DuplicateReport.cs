using System.Security.Cryptography;

namespace CudaGenre.Core.Data;

/// <summary>Files whose contents are byte for byte identical (same SHA-256).</summary>
/// <param name="Sha256">The content hash (lower-case hex) they share.</param>
/// <param name="Items">The files, sorted by path (ordinal); at least two.</param>
public sealed record DuplicateGroup(string Sha256, IReadOnlyList<DatasetItem> Items)
{
    /// <summary>True when the copies carry different genre labels (at most one of them can be right).</summary>
    public bool LabelsDiffer => Items.Any(i => i.Label != Items[0].Label);
}

/// <summary>
/// The exact duplicates of a data set, found by content hash (SHA-256 of the file bytes). GTZAN has some:
/// the same excerpt filed twice, once even under two genres. A split must keep each group on one side,
/// or a model is tested on clips it was trained on.
/// </summary>
public sealed class DuplicateReport
{
    private readonly Dictionary<string, int> _groupOfFile;

    private DuplicateReport(IReadOnlyList<DuplicateGroup> groups, int filesHashed)
    {
        Groups = groups;
        FilesHashed = filesHashed;
        _groupOfFile = new(StringComparer.Ordinal);
        for (var g = 0; g < groups.Count; g++)
        {
            foreach (var item in groups[g].Items)
                _groupOfFile[item.File] = g;
        }
    }

    /// <summary>No duplicates (for item lists that have no files behind them).</summary>
    public static DuplicateReport None { get; } = new([], 0);

    /// <summary>The groups of identical files, sorted by their first file (ordinal).</summary>
    public IReadOnlyList<DuplicateGroup> Groups { get; }

    /// <summary>How many files were hashed.</summary>
    public int FilesHashed { get; }

    /// <summary>Files that add nothing new: in every group, all but one.</summary>
    public int RedundantFiles => Groups.Sum(g => g.Items.Count - 1);

    /// <summary>The groups whose copies carry different labels.</summary>
    public IEnumerable<DuplicateGroup> ConflictingGroups => Groups.Where(g => g.LabelsDiffer);

    /// <summary>The index into <see cref="Groups"/> of the group holding <paramref name="file"/>, or -1 when it has no copy.</summary>
    public int GroupOf(string file) => _groupOfFile.TryGetValue(file, out var g) ? g : -1;

    /// <summary>Hashes every item of <paramref name="dataset"/> (in parallel) and groups identical ones.</summary>
    public static DuplicateReport Find(GtzanDataset dataset, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Find(dataset.Items, dataset.PathOf, progress);
    }

    /// <summary>Hashes the file of every item (found with <paramref name="pathOf"/>) and groups identical ones.</summary>
    /// <exception cref="DataFileException">A file cannot be read.</exception>
    public static DuplicateReport Find(IReadOnlyList<DatasetItem> items, Func<DatasetItem, string> pathOf, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(pathOf);
        var hashes = new string[items.Count];
        var done = 0;
        Parallel.For(0, items.Count, i =>
        {
            var path = pathOf(items[i]);
            try
            {
                using var stream = File.OpenRead(path);
                hashes[i] = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataFileException(path, $"cannot be read to hash it ({e.Message})", e);
            }
            progress?.Report(Interlocked.Increment(ref done));
        });
        var groups = Enumerable.Range(0, items.Count)
            .GroupBy(i => hashes[i], StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => new DuplicateGroup(g.Key, [.. g.Select(i => items[i]).OrderBy(i => i.File, StringComparer.Ordinal)]))
            .OrderBy(g => g.Items[0].File, StringComparer.Ordinal)
            .ToList();
        return new DuplicateReport(groups, items.Count);
    }
}
