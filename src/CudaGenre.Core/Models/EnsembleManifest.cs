using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CudaGenre.Core.Models;

/// <summary>One member of an <see cref="EnsembleManifest"/>.</summary>
/// <param name="Path">The member's model file as the manifest writes it: relative to the manifest's folder.</param>
/// <param name="FullPath">The same file as an absolute path.</param>
/// <param name="Weight">Its weight in the mean of the members' probabilities (finite, ≥ 0; default 1).</param>
public sealed record EnsembleMember(string Path, string FullPath, double Weight);

/// <summary>
/// An ensemble of models as one file: a small JSON manifest (conventionally <c>*.ensemble.json</c>) listing member model
/// files, each with a weight. The ensemble's probabilities are the weighted mean of its members' softmax probabilities
/// (<see cref="EnsembleCombination"/>); members may differ in architecture and input size but must share their classes.
/// </summary>
/// <remarks>
/// <code>
/// {
///   "format": "cudagenre-ensemble/1",
///   "combination": "mean-probability",
///   "description": "optional text",
///   "members": [
///     { "path": "m0-cnn.safetensors", "weight": 1 },
///     { "path": "../other-run/model.safetensors" }
///   ]
/// }
/// </code>
/// Paths are relative to the manifest's folder (absolute paths are refused, so that a folder of manifest and members
/// can move as a whole). A member must be a CudaGenre model file: a member that is itself a manifest is refused
/// (ensembles do not nest). Every problem is a <see cref="DataFileException"/> naming the manifest and what is wrong.
/// </remarks>
public sealed class EnsembleManifest
{
    /// <summary>The value of <c>format</c>.</summary>
    public const string FormatTag = "cudagenre-ensemble/1";

    /// <summary>The one combination rule: the weighted mean of the members' softmax probabilities.</summary>
    public const string MeanProbability = "mean-probability";

    /// <summary>Largest weight accepted: weights are relative, so a larger one only says that the file is wrong.</summary>
    public const double MaxWeight = 1e6;

    private const int MaxPathLength = 4096;

    private EnsembleManifest(string path, IReadOnlyList<EnsembleMember> members, string? description)
    {
        Path = path;
        Members = members;
        Description = description;
    }

    /// <summary>The manifest file (absolute).</summary>
    public string Path { get; }

    /// <summary>The members, in the manifest's order (the order of every per-member list in the engine and the reference).</summary>
    public IReadOnlyList<EnsembleMember> Members { get; }

    /// <summary>The manifest's free text, or null.</summary>
    public string? Description { get; }

    /// <summary>
    /// Whether the file at <paramref name="path"/> looks like a manifest rather than a model: its first non-blank byte is
    /// <c>{</c> and it is not safetensors. False for a file that does not exist or cannot be read (the model reader then
    /// says why).
    /// </summary>
    public static bool IsManifest(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var head = new byte[FileSignature.HeadLength];
            var got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return LooksLikeManifest(head.AsSpan(0, got));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool LooksLikeManifest(ReadOnlySpan<byte> head)
    {
        if (FileSignature.Detect(head) == FileFormat.Safetensors)
            return false;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            head = head[3..];
        var first = head.IndexOfAnyExcept(" \t\r\n"u8);
        return first >= 0 && head[first] == '{';
    }

    /// <summary>Reads and checks a manifest (not yet its members: see <see cref="OpenMembers"/>). Its size is checked before it is read.</summary>
    /// <exception cref="DataFileException">Missing, unreadable, over <see cref="InputLimits.MaxEnsembleManifestBytes"/>, or not a valid manifest.</exception>
    public static EnsembleManifest Read(string path, InputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits = (limits ?? InputLimits.Default).Validate();
        var full = System.IO.Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists)
                throw new DataFileException(path, "the ensemble manifest does not exist");
            if (info.Length > limits.MaxEnsembleManifestBytes)
                throw new DataFileException(path, $"the ensemble manifest is {info.Length} bytes, over the limit of {limits.MaxEnsembleManifestBytes} (InputLimits.MaxEnsembleManifestBytes)");
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException and not DataFileException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message})", e);
        }
        return Parse(bytes, full, limits);
    }

    /// <summary>
    /// Checks a manifest held in memory, as <see cref="Read"/> does a file: a pure function of the bytes and the name
    /// (for fuzzing; the members' paths are resolved against the folder of <paramref name="name"/>, not opened).
    /// </summary>
    /// <exception cref="DataFileException">Not UTF-8 JSON, not this format, or a field that is missing, duplicated, unknown or out of range.</exception>
    public static EnsembleManifest Parse(byte[] bytes, string name, InputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        limits = (limits ?? InputLimits.Default).Validate();
        if (bytes.LongLength > limits.MaxEnsembleManifestBytes)
            throw new DataFileException(name, $"the ensemble manifest is {bytes.LongLength} bytes, over the limit of {limits.MaxEnsembleManifestBytes} (InputLimits.MaxEnsembleManifestBytes)");
        var manifestPath = System.IO.Path.GetFullPath(name);
        var folder = System.IO.Path.GetDirectoryName(manifestPath) ?? manifestPath;
        DataFileException Bad(string problem) => new(name, problem);

        // Checked first: JsonDocument parses invalid UTF-8 inside strings and only fails (InvalidOperationException) on reading them.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw Bad("not a valid ensemble manifest: not UTF-8 text");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Bad($"not a valid ensemble manifest: not JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad($"not a valid ensemble manifest: the JSON is {Kind(root)}, not an object");
            var fields = Fields(root, "the manifest", ["format", "combination", "description", "members"], Bad);
            if (!fields.TryGetValue("format", out var format))
                throw Bad($"not an ensemble manifest: it has no 'format' (expected \"{FormatTag}\")");
            if (format.ValueKind != JsonValueKind.String || format.GetString() != FormatTag)
                throw Bad($"not an ensemble manifest: format is {Short(format)}, expected \"{FormatTag}\"");
            if (!fields.TryGetValue("combination", out var combination))
                throw Bad($"the manifest has no 'combination' (the one rule is \"{MeanProbability}\": the weighted mean of the members' probabilities)");
            if (combination.ValueKind != JsonValueKind.String || combination.GetString() != MeanProbability)
                throw Bad($"combination is {Short(combination)}; the only rule is \"{MeanProbability}\"");
            string? description = null;
            if (fields.TryGetValue("description", out var d))
                description = d.ValueKind == JsonValueKind.String ? d.GetString() : throw Bad($"description is {Kind(d)}, not a string");
            if (!fields.TryGetValue("members", out var list))
                throw Bad("the manifest has no 'members'");
            if (list.ValueKind != JsonValueKind.Array)
                throw Bad($"members is {Kind(list)}, not a list");
            var count = list.GetArrayLength();
            if (count == 0)
                throw Bad("members is empty: an ensemble needs at least one model");
            if (count > limits.MaxEnsembleMembers)
                throw Bad($"{count} members, over the limit of {limits.MaxEnsembleMembers} (InputLimits.MaxEnsembleMembers)");

            var members = new List<EnsembleMember>(count);
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var where = $"member {index}";
                if (item.ValueKind != JsonValueKind.Object)
                    throw Bad($"{where} is {Kind(item)}, not an object with a 'path'");
                var member = Fields(item, where, ["path", "weight"], Bad);
                if (!member.TryGetValue("path", out var p) || p.ValueKind != JsonValueKind.String)
                    throw Bad($"{where} has no 'path' string (the model file, relative to the manifest)");
                var relative = p.GetString()!;
                if (relative.Length == 0 || relative.Length > MaxPathLength || relative.Any(char.IsControl) || relative.Trim().Length == 0)
                    throw Bad($"{where}: path {Short(p)} is empty, over {MaxPathLength} characters or holds control characters");
                if (System.IO.Path.IsPathRooted(relative))
                    throw Bad($"{where}: path '{relative}' is absolute; member paths are relative to the manifest's folder, so that the ensemble can move as a whole");
                var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
                if (string.Equals(full, manifestPath, StringComparison.Ordinal))
                    throw Bad($"{where}: path '{relative}' is the manifest itself; ensembles do not nest");
                var weight = 1.0;
                if (member.TryGetValue("weight", out var w))
                {
                    if (w.ValueKind != JsonValueKind.Number || !w.TryGetDouble(out weight) || !double.IsFinite(weight))
                        throw Bad($"{where} ('{relative}'): weight {Short(w)} is not a finite number");
                    if (weight < 0 || weight > MaxWeight)
                        throw Bad($"{where} ('{relative}'): weight {weight.ToString(CultureInfo.InvariantCulture)} is outside [0, {MaxWeight.ToString(CultureInfo.InvariantCulture)}]");
                }
                var same = members.FindIndex(m => string.Equals(m.FullPath, full, StringComparison.Ordinal));
                if (same >= 0)
                    throw Bad($"{where}: path '{relative}' names the same file as member {same} ('{members[same].Path}'); give it a larger weight instead");
                members.Add(new EnsembleMember(relative, full, weight));
                index++;
            }
            if (members.All(m => m.Weight == 0))
                throw Bad("every member's weight is 0: the mean of the probabilities is undefined");
            return new EnsembleManifest(manifestPath, members, description);
        }
    }

    /// <summary>
    /// Reads each member's model file and checks it: it exists, it is not itself a manifest, it is a valid model, and
    /// its class names are those of member 0.
    /// </summary>
    /// <exception cref="DataFileException">Names the manifest, the member and the problem (both members' classes when they differ).</exception>
    public IReadOnlyList<ModelFile> OpenMembers()
    {
        var files = new List<ModelFile>(Members.Count);
        for (var i = 0; i < Members.Count; i++)
        {
            var member = Members[i];
            if (!File.Exists(member.FullPath))
                throw new DataFileException(Path, $"member {i} '{member.Path}' does not exist ({member.FullPath})");
            if (IsManifest(member.FullPath))
                throw new DataFileException(Path, $"member {i} '{member.Path}' is itself an ensemble manifest; ensembles do not nest (list its members here instead)");
            ModelFile file;
            try
            {
                file = ModelFile.Read(member.FullPath);
            }
            catch (DataFileException e)
            {
                throw new DataFileException(Path, $"member {i} '{member.Path}' is not a usable model: {e.Problem}", e);
            }
            if (i > 0 && !file.Spec.ClassNames.SequenceEqual(files[0].Spec.ClassNames, StringComparer.Ordinal))
                throw new DataFileException(Path, $"the members' classes differ: member 0 '{Members[0].Path}' has [{string.Join(", ", files[0].Spec.ClassNames)}], member {i} '{member.Path}' has [{string.Join(", ", file.Spec.ClassNames)}]");
            files.Add(file);
        }
        return files;
    }

    /// <summary>The members' weights, in order.</summary>
    public double[] Weights() => [.. Members.Select(m => m.Weight)];

    /// <summary>
    /// Writes a manifest atomically, after checking it as <see cref="Read"/> would (the members' files are not opened).
    /// </summary>
    /// <param name="path">The manifest file.</param>
    /// <param name="members">Each member's path relative to the manifest's folder, and its weight.</param>
    /// <param name="description">Free text, or null.</param>
    /// <exception cref="ArgumentException">The manifest would not be valid; the message says why.</exception>
    public static EnsembleManifest Write(string path, IReadOnlyList<(string Path, double Weight)> members, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(members);
        var list = new JsonArray();
        foreach (var (member, weight) in members)
            list.Add((JsonNode)new JsonObject { ["path"] = member, ["weight"] = weight });
        var root = new JsonObject { ["format"] = FormatTag, ["combination"] = MeanProbability };
        if (description is not null)
            root["description"] = description;
        root["members"] = list;
        var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        EnsembleManifest manifest;
        try
        {
            manifest = Parse(Encoding.UTF8.GetBytes(text), path);
        }
        catch (DataFileException e)
        {
            throw new ArgumentException($"Cannot write {path}: {e.Problem}.", nameof(members), e);
        }
        AtomicFile.WriteText(path, text);
        return manifest;
    }

    /// <summary>The object's fields by name; a duplicated or unknown name is an error (a typo must not be ignored).</summary>
    private static Dictionary<string, JsonElement> Fields(JsonElement element, string where, string[] known, Func<string, DataFileException> bad)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                throw bad($"{where} has an unknown field '{Clip(property.Name)}' (known: {string.Join(", ", known)})");
            if (!fields.TryAdd(property.Name, property.Value))
                throw bad($"{where} has the field '{property.Name}' twice");
        }
        return fields;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>A JSON value as it is written, cut short: error messages quote what the file says, not all of it.</summary>
    private static string Short(JsonElement e) => Clip(e.GetRawText());

    private static string Clip(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
