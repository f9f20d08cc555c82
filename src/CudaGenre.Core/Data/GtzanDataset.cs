using System.Collections.Concurrent;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Data;

/// <summary>What the files of a data set hold.</summary>
public enum MediaKind
{
    /// <summary>Spectrogram images (<c>images_original/&lt;genre&gt;/*.png</c>).</summary>
    Image,

    /// <summary>Audio clips (<c>genres_original/&lt;genre&gt;/*.wav</c> or the older <c>genres/&lt;genre&gt;/*.au</c>).</summary>
    Audio,
}

/// <summary>One usable file of a data set.</summary>
/// <param name="File">Path relative to the data set root, with '/' separators (portable across machines).</param>
/// <param name="Label">The genre label (index into <see cref="Genres.Names"/>), taken from the folder name.</param>
/// <param name="Format">What verification found, e.g. "432x288" or "22050 Hz, 30.0 s"; null when not verified.</param>
public sealed record DatasetItem(string File, int Label, string? Format = null)
{
    /// <summary>The genre name.</summary>
    public string Genre => Genres.NameOf(Label);
}

/// <summary>A file (or folder) that was skipped, and why.</summary>
public sealed record DatasetProblem(string File, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}: {Problem}";
}

/// <summary>
/// A data set in the GTZAN folder layout, as distributed on Kaggle: <c>images_original/&lt;genre&gt;/&lt;genre&gt;000NN.png</c>
/// and <c>genres_original/&lt;genre&gt;/&lt;genre&gt;.000NN.wav</c>, or the original <c>genres/&lt;genre&gt;/&lt;genre&gt;.000NN.au</c>.
/// The label of a file is the name of its folder. Files that cannot be used are listed in
/// <see cref="Problems"/> with the reason and left out of <see cref="Items"/> — never silently.
/// </summary>
public sealed class GtzanDataset
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];
    private static readonly string[] AudioExtensions = [".wav", ".au"];

    private GtzanDataset(string root, string folder, MediaKind kind, IReadOnlyList<DatasetItem> items, IReadOnlyList<DatasetProblem> problems)
    {
        Root = root;
        Folder = folder;
        Kind = kind;
        Items = items;
        Problems = problems;
    }

    /// <summary>The data set root, as given (full path).</summary>
    public string Root { get; }

    /// <summary>The folder that holds the genre folders (e.g. <c>&lt;root&gt;/images_original</c>).</summary>
    public string Folder { get; }

    /// <summary>Images or audio.</summary>
    public MediaKind Kind { get; }

    /// <summary>The usable files, sorted by path (ordinal), so that every machine sees the same order.</summary>
    public IReadOnlyList<DatasetItem> Items { get; }

    /// <summary>The files and folders that were skipped, with the reason.</summary>
    public IReadOnlyList<DatasetProblem> Problems { get; }

    /// <summary>The absolute path of <paramref name="item"/>.</summary>
    public string PathOf(DatasetItem item) => Path.Combine(Root, item.File.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The number of items per genre, in label order.</summary>
    public int[] CountsPerGenre()
    {
        var counts = new int[Genres.Count];
        foreach (var item in Items)
            counts[item.Label]++;
        return counts;
    }

    /// <summary>
    /// Finds the data set under <paramref name="root"/>: either a GTZAN root (holding
    /// <c>images_original</c>, <c>genres_original</c> or <c>genres</c>) or a folder that holds the
    /// genre folders itself.
    /// </summary>
    /// <param name="root">The folder to open.</param>
    /// <param name="kind">Images or audio.</param>
    /// <param name="verify">When true, every file is decoded (in parallel) and those that fail are moved
    /// to <see cref="Problems"/>; otherwise only names and folders are checked.</param>
    /// <param name="progress">Receives the number of files verified so far.</param>
    /// <exception cref="DataFileException">No GTZAN layout of that kind is under <paramref name="root"/>.</exception>
    public static GtzanDataset Open(string root, MediaKind kind = MediaKind.Image, bool verify = false, IProgress<int>? progress = null)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
            throw new DataFileException(root, "the folder does not exist");
        var folder = FindGenreFolder(root, kind)
            ?? throw new DataFileException(root, kind == MediaKind.Image
                ? "no GTZAN image layout here: expected images_original/<genre>/*.png, or genre folders (blues, classical, …) holding images"
                : "no GTZAN audio layout here: expected genres_original/<genre>/*.wav, genres/<genre>/*.au, or genre folders holding audio");

        var extensions = kind == MediaKind.Image ? ImageExtensions : AudioExtensions;
        var items = new List<DatasetItem>();
        var problems = new List<DatasetProblem>();
        foreach (var dir in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            var label = Genres.IndexOf(name);
            if (label < 0)
            {
                if (!name.StartsWith('.'))
                    problems.Add(new(Relative(root, dir), $"'{name}' is not a GTZAN genre; the folder was skipped"));
                continue;
            }
            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            {
                var fileName = Path.GetFileName(file);
                if (fileName.StartsWith('.'))
                    continue;
                var ext = Path.GetExtension(fileName).ToLowerInvariant();
                if (!extensions.Contains(ext))
                    problems.Add(new(Relative(root, file), $"not {(kind == MediaKind.Image ? "an image" : "an audio")} file ({(ext.Length == 0 ? "no extension" : ext)}); skipped"));
                else
                    items.Add(new(Relative(root, file), label));
            }
        }

        if (verify)
            items = Verify(root, kind, items, problems, progress);
        problems.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        return new GtzanDataset(root, folder, kind, items, problems);
    }

    private static List<DatasetItem> Verify(string root, MediaKind kind, List<DatasetItem> items, List<DatasetProblem> problems, IProgress<int>? progress)
    {
        var checkedItems = new DatasetItem?[items.Count];
        var failures = new ConcurrentBag<DatasetProblem>();
        var done = 0;
        Parallel.For(0, items.Count, i =>
        {
            var path = Path.Combine(root, items[i].File);
            try
            {
                checkedItems[i] = items[i] with { Format = MediaFormat.Describe(path, kind) };
            }
            catch (DataFileException e)
            {
                failures.Add(new(items[i].File, e.Problem));
            }
            progress?.Report(Interlocked.Increment(ref done));
        });
        problems.AddRange(failures);
        return [.. checkedItems.OfType<DatasetItem>()];
    }

    private static string? FindGenreFolder(string root, MediaKind kind)
    {
        string[] candidates = kind == MediaKind.Image ? ["images_original"] : ["genres_original", "genres"];
        foreach (var c in candidates)
        {
            var dir = Path.Combine(root, c);
            if (Directory.Exists(dir))
                return dir;
        }
        // The root itself may hold the genre folders (e.g. a user points at images_original directly).
        var extensions = kind == MediaKind.Image ? ImageExtensions : AudioExtensions;
        var holdsGenres = Genres.Names
            .Select(g => Path.Combine(root, g))
            .Where(Directory.Exists)
            .Any(d => Directory.EnumerateFiles(d).Any(f => extensions.Contains(Path.GetExtension(f).ToLowerInvariant())));
        return holdsGenres ? root : null;
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}

/// <summary>Decodes a media file fully and describes it; the one place where "is this file usable?" is decided.</summary>
internal static class MediaFormat
{
    public static string Describe(string path, MediaKind kind)
    {
        if (kind == MediaKind.Image)
        {
            var image = ImageFile.Read(path);
            return $"{image.Width}x{image.Height}";
        }
        var clip = Audio.AudioFile.Read(path);
        return $"{clip.SampleRate} Hz, {clip.Seconds:0.0} s";
    }
}
