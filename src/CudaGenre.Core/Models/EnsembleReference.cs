using System.Text.Json;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Models;

/// <summary>
/// What an ensemble is validated against: one ordinary <see cref="ReferenceBundle"/> per member (the same N items, each
/// preprocessed as that member takes them, with the trainer's logits of that member) and the trainer's combined logits.
/// The engine must reproduce each member's logits and the combination.
/// </summary>
/// <remarks>
/// <para>Stored as safetensors: tensors <c>labels</c> I64 <c>[N]</c> and <c>logits</c> F32 <c>[N, classes]</c> (the trainer's
/// ensemble logits, <see cref="EnsembleCombination"/>); metadata <c>format</c> = <c>cudagenre-ensemble-reference/1</c>,
/// <c>split</c>, <c>members</c> (a JSON list of the member bundles' file names, relative to this file's folder, in the
/// manifest's member order) and optionally <c>manifest_sha256</c>.</para>
/// <para>The member bundles must agree on N, the labels and the source names, so that row i is one item in all of them.</para>
/// </remarks>
public sealed class EnsembleReference
{
    /// <summary>The value of the <c>format</c> metadata key.</summary>
    public const string FormatTag = "cudagenre-ensemble-reference/1";

    private readonly float[] _logits;

    private EnsembleReference(string split, IReadOnlyList<string> memberFiles, IReadOnlyList<ReferenceBundle> members, float[] logits, string? manifestSha256)
    {
        Split = split;
        MemberFiles = memberFiles;
        Members = members;
        _logits = logits;
        ManifestSha256 = manifestSha256;
    }

    /// <summary>The data split the inputs come from.</summary>
    public string Split { get; }

    /// <summary>The member bundles' files (absolute once read), in member order.</summary>
    public IReadOnlyList<string> MemberFiles { get; }

    /// <summary>The member bundles, in member order.</summary>
    public IReadOnlyList<ReferenceBundle> Members { get; }

    /// <summary>SHA-256 of the manifest the reference was made for, or null.</summary>
    public string? ManifestSha256 { get; }

    /// <summary>Items N.</summary>
    public int Count => Members[0].Count;

    /// <summary>Classes per item.</summary>
    public int ClassCount => Members[0].Spec.ClassCount;

    /// <summary>The trainer's ensemble logits, <c>[N, classes]</c>.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>Checks that the member bundles agree with each other and with <paramref name="logits"/>.</summary>
    private static string? Disagreement(IReadOnlyList<ReferenceBundle> members, float[] logits, long[] labels)
    {
        var first = members[0];
        for (var i = 0; i < members.Count; i++)
        {
            var m = members[i];
            if (m.Count != labels.Length)
                return $"member bundle {i} holds {m.Count} items, the ensemble's labels {labels.Length}";
            if (!m.Labels.SequenceEqual(labels))
                return $"member bundle {i}'s labels are not the ensemble's: its rows are other items";
            if (!m.Sources.SequenceEqual(first.Sources, StringComparer.Ordinal))
                return $"member bundle {i}'s source files are not member bundle 0's: its rows are other items";
            if (!m.Spec.ClassNames.SequenceEqual(first.Spec.ClassNames, StringComparer.Ordinal))
                return $"member bundle {i}'s classes [{string.Join(", ", m.Spec.ClassNames)}] are not member bundle 0's [{string.Join(", ", first.Spec.ClassNames)}]";
        }
        if (logits.LongLength != (long)labels.Length * first.Spec.ClassCount)
            return $"{logits.Length} ensemble logits are not {labels.Length} rows of {first.Spec.ClassCount} classes";
        var bad = Array.FindIndex(logits, v => !float.IsFinite(v));
        return bad >= 0 ? $"ensemble logit {bad % first.Spec.ClassCount} of item {bad / first.Spec.ClassCount} is {logits[bad]}" : null;
    }

    /// <summary>
    /// Writes the reference (the member bundles must already be written beside it, as <paramref name="memberFiles"/>).
    /// </summary>
    /// <param name="path">The reference file.</param>
    /// <param name="split">E.g. <c>test</c>.</param>
    /// <param name="memberFiles">The member bundles' file names, relative to <paramref name="path"/>'s folder, in member order.</param>
    /// <param name="members">The member bundles themselves.</param>
    /// <param name="logits">The trainer's ensemble logits, N × classes.</param>
    /// <param name="manifestSha256">SHA-256 of the manifest, or null.</param>
    /// <exception cref="ArgumentException">The bundles disagree with each other or with the logits.</exception>
    public static void Write(string path, string split, IReadOnlyList<string> memberFiles, IReadOnlyList<ReferenceBundle> members, float[] logits, string? manifestSha256)
    {
        ArgumentNullException.ThrowIfNull(memberFiles);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(logits);
        if (members.Count == 0 || members.Count != memberFiles.Count)
            throw new ArgumentException($"{members.Count} member bundles and {memberFiles.Count} file names; one of each per member is needed.", nameof(members));
        var labels = members[0].Labels.ToArray();
        if (Disagreement(members, logits, labels) is { } problem)
            throw new ArgumentException($"Cannot write {path}: {problem}.", nameof(members));
        var writer = new SafetensorsWriter()
            .Add("labels", new TensorShape(labels.Length), labels)
            .Add("logits", new TensorShape(labels.Length, members[0].Spec.ClassCount), logits);
        writer.Metadata[ModelFile.FormatKey] = FormatTag;
        writer.Metadata["split"] = split;
        writer.Metadata["members"] = JsonSerializer.Serialize([.. memberFiles], ModelJsonContext.Default.ListString);
        if (manifestSha256 is not null)
            writer.Metadata["manifest_sha256"] = manifestSha256;
        writer.Save(path);
    }

    /// <summary>Whether the file at <paramref name="path"/> is an ensemble reference (rather than a plain bundle); false when it cannot be read as safetensors.</summary>
    public static bool IsEnsembleReference(string path)
    {
        try
        {
            return SafetensorsFile.Read(path).Metadata.TryGetValue(ModelFile.FormatKey, out var format) && format == FormatTag;
        }
        catch (DataFileException)
        {
            return false;
        }
    }

    /// <summary>Reads the reference and its member bundles, and checks that they agree.</summary>
    /// <exception cref="DataFileException">Unreadable, not an ensemble reference, a member bundle missing or invalid, or bundles that disagree.</exception>
    public static EnsembleReference Read(string path, InputLimits? limits = null)
    {
        limits = (limits ?? InputLimits.Default).Validate();
        var file = SafetensorsFile.Read(path);
        var meta = file.Metadata;
        if (!meta.TryGetValue(ModelFile.FormatKey, out var format) || format != FormatTag)
            throw new DataFileException(path, $"not a CudaGenre ensemble reference: format is {(format is null ? "missing" : $"'{format}'")}, expected '{FormatTag}'");
        string Require(string key) => meta.TryGetValue(key, out var v) ? v : throw new DataFileException(path, $"the ensemble reference has no '{key}' metadata");
        List<string>? names;
        try
        {
            names = JsonSerializer.Deserialize(Require("members"), ModelJsonContext.Default.ListString);
        }
        catch (JsonException e)
        {
            throw new DataFileException(path, $"the 'members' metadata is not a JSON list of file names ({e.Message})", e);
        }
        if (names is null || names.Count == 0 || names.Any(string.IsNullOrWhiteSpace))
            throw new DataFileException(path, "the 'members' metadata is not a non-empty JSON list of file names");
        if (names.Count > limits.MaxEnsembleMembers)
            throw new DataFileException(path, $"{names.Count} member bundles, over the limit of {limits.MaxEnsembleMembers} (InputLimits.MaxEnsembleMembers)");
        var extra = file.Tensors.Select(t => t.Name).Except(["labels", "logits"], StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new DataFileException(path, $"unexpected tensors in an ensemble reference: {string.Join(", ", extra)}");
        foreach (var (name, dtype) in new[] { ("labels", TensorDType.I64), ("logits", TensorDType.F32) })
        {
            if (!file.Contains(name))
                throw new DataFileException(path, $"the ensemble reference has no '{name}' tensor");
            if (file.DType(name) != dtype)
                throw new DataFileException(path, $"tensor '{name}' is {file.DType(name).SafetensorsName()}, expected {dtype.SafetensorsName()}");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var files = new List<string>(names.Count);
        var members = new List<ReferenceBundle>(names.Count);
        foreach (var name in names)
        {
            if (Path.IsPathRooted(name))
                throw new DataFileException(path, $"member bundle '{name}' is an absolute path; they are relative to the reference's folder");
            var full = Path.GetFullPath(Path.Combine(folder, name));
            if (!File.Exists(full))
                throw new DataFileException(path, $"member bundle '{name}' does not exist ({full})");
            files.Add(full);
            members.Add(ReferenceBundle.Read(full));
        }
        var labels = file.Shape("labels");
        var logits = file.Shape("logits");
        var expected = new TensorShape(members[0].Count, members[0].Spec.ClassCount);
        if (labels != new TensorShape(members[0].Count) || logits != expected)
            throw new DataFileException(path, $"tensors 'labels' {labels} and 'logits' {logits} do not fit the member bundles' {members[0].Count} items of {members[0].Spec.ClassCount} classes");
        var labelValues = file.AsInt64("labels").ToArray();
        var logitValues = file.AsFloat32("logits").ToArray();
        if (Disagreement(members, logitValues, labelValues) is { } problem)
            throw new DataFileException(path, $"inconsistent ensemble reference: {problem}");
        return new EnsembleReference(Require("split"), files, members, logitValues, meta.GetValueOrDefault("manifest_sha256"));
    }

    /// <summary>
    /// Checks that this reference was made for <paramref name="manifest"/>: its <c>manifest_sha256</c> (when recorded), one
    /// bundle per member, and each bundle made for its member's model file (<see cref="ReferenceBundle.CheckBelongsTo"/>).
    /// </summary>
    /// <exception cref="DataFileException">It belongs to another ensemble; the message says what differs.</exception>
    public void CheckBelongsTo(string referencePath, EnsembleManifest manifest, IReadOnlyList<ModelSpec> memberSpecs)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(memberSpecs);
        if (ManifestSha256 is { } recorded)
        {
            var actual = ModelFile.ComputeSha256(manifest.Path);
            if (!string.Equals(recorded, actual, StringComparison.OrdinalIgnoreCase))
                throw new DataFileException(referencePath, $"was made for another manifest: its manifest_sha256 is {recorded}, but {manifest.Path} has SHA-256 {actual}");
        }
        if (Members.Count != manifest.Members.Count)
            throw new DataFileException(referencePath, $"holds {Members.Count} member bundles, but {manifest.Path} lists {manifest.Members.Count} members");
        for (var i = 0; i < Members.Count; i++)
            Members[i].CheckBelongsTo(MemberFiles[i], manifest.Members[i].FullPath, memberSpecs[i]);
    }
}
