using System.Text.Json;
using System.Text.Json.Serialization;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Models;

/// <summary>
/// Everything needed to rebuild a model's graph and feed it: architecture, head, input size and
/// normalization, class names, plus where the weights came from. Stored as JSON in the model file's
/// metadata (<see cref="ToJson"/>); the trainer and the engine both build their networks from it
/// through <see cref="ModelGraph.Build"/>.
/// </summary>
/// <remarks>
/// <para>Use <see cref="Default"/> for an architecture's standard settings and <c>with</c> to change
/// them. <see cref="Validate"/> (also run by <see cref="ModelGraph.Build"/> and <see cref="FromJson"/>)
/// rejects impossible specs with a message that names the field.</para>
/// <para>Default input sizes (height × width): ResNet 224 × 224 and Xception 299 × 299, the sizes
/// their reference weights were trained at. The CNN takes 144 × 216: exactly half the 288 × 432 GTZAN
/// spectrogram images in each axis, so the aspect ratio is kept (no time or frequency squeeze), the
/// resize is a clean 2:1 antialiased reduction, and both sides divide by 8 so the three 2×2 pools
/// come out even (144 × 216 → 18 × 27). Half resolution still resolves the 128 mel bands
/// (rendered over 288 rows) while cutting the CNN's cost fourfold.</para>
/// </remarks>
public sealed record ModelSpec
{
    /// <summary>The CNN's default input height: half of GTZAN's 288-row images.</summary>
    public const int CnnDefaultHeight = 144;

    /// <summary>The CNN's default input width: half of GTZAN's 432-column images.</summary>
    public const int CnnDefaultWidth = 216;

    /// <summary>The CNN's default block widths (output channels of its three conv layers).</summary>
    public static IReadOnlyList<int> CnnDefaultWidths { get; } = [32, 64, 128];

    /// <summary>timm's normalization for <c>legacy_xception</c> weights: 0.5 per channel (mean and std).</summary>
    public static IReadOnlyList<float> XceptionMeanStd { get; } = [0.5f, 0.5f, 0.5f];

    /// <summary>The network family.</summary>
    public required Architecture Architecture { get; init; }

    /// <summary>The classifier on top of the pooled features. Default: <see cref="ClassifierHead.Linear"/>.</summary>
    public ClassifierHead Head { get; init; } = ClassifierHead.Linear;

    /// <summary>Input channels (3: R, G, B).</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>Input height in pixels (rows; for spectrograms, the frequency axis).</summary>
    public required int InputHeight { get; init; }

    /// <summary>Input width in pixels (columns; for spectrograms, the time axis).</summary>
    public required int InputWidth { get; init; }

    /// <summary>Per-channel mean subtracted after scaling pixels to [0, 1]. One value per input channel. Default: ImageNet.</summary>
    public IReadOnlyList<float> Mean { get; init; } = PreprocessSettings.ImageNetMean;

    /// <summary>Per-channel standard deviation divided by after the mean. One value per input channel. Default: ImageNet.</summary>
    public IReadOnlyList<float> Std { get; init; } = PreprocessSettings.ImageNetStd;

    /// <summary>Class names in label order (logit i is class i). Default: the 10 GTZAN genres.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = Genres.Names;

    /// <summary>Hidden units of the dense head (ignored by the linear head). Default 512.</summary>
    public int DenseUnits { get; init; } = 512;

    /// <summary>Dropout probability of the dense head, applied in training only. Default 0.5.</summary>
    public float DropoutRate { get; init; } = 0.5f;

    /// <summary>Output channels of the CNN's blocks, one block per entry (ignored by other architectures). Default 32, 64, 128.</summary>
    public IReadOnlyList<int> CnnWidths { get; init; } = CnnDefaultWidths;

    /// <summary>Version of the trainer that produced the weights, or null.</summary>
    public string? TrainerVersion { get; init; }

    /// <summary>Hash of the data-set split the weights were trained on (<c>SplitManifest.Hash</c>), or null.</summary>
    public string? SplitHash { get; init; }

    /// <summary>Number of classes (logits per input).</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>
    /// An architecture's standard spec: input 224 × 224 (ResNet), 299 × 299 (Xception) or 144 × 216
    /// (CNN); ImageNet mean/std, except Xception's 0.5/0.5 which timm's weights expect; the 10 genres.
    /// </summary>
    public static ModelSpec Default(Architecture architecture, ClassifierHead head = ClassifierHead.Linear) => architecture switch
    {
        Architecture.Cnn => new() { Architecture = architecture, Head = head, InputHeight = CnnDefaultHeight, InputWidth = CnnDefaultWidth },
        Architecture.ResNet18 or Architecture.ResNet50 => new() { Architecture = architecture, Head = head, InputHeight = 224, InputWidth = 224 },
        Architecture.Xception => new()
        {
            Architecture = architecture,
            Head = head,
            InputHeight = 299,
            InputWidth = 299,
            Mean = XceptionMeanStd,
            Std = XceptionMeanStd,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "not an architecture"),
    };

    /// <summary>The image preprocessing this model expects (size and normalization).</summary>
    /// <exception cref="InvalidOperationException">The model does not take 3-channel images.</exception>
    public PreprocessSettings ToPreprocessSettings()
    {
        if (InputChannels != 3)
            throw new InvalidOperationException($"The image preprocessor makes 3-channel inputs; this model takes {InputChannels}.");
        return new PreprocessSettings { Width = InputWidth, Height = InputHeight, Mean = [.. Mean], Std = [.. Std] };
    }

    /// <summary>
    /// Checks the spec: known architecture and head, positive sizes, one mean and one positive std per
    /// channel, distinct non-empty class names, dense units and dropout in range, and an input large
    /// enough for the architecture's strides (every layer's output at least 1 × 1).
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid; the message names the field and the problem.</exception>
    public void Validate() => _ = ModelGraph.Build(this);

    /// <summary>Field checks that do not need the graph; the input-size check is done by the graph's shape inference.</summary>
    internal void CheckFields()
    {
        if (!Enum.IsDefined(Architecture))
            throw Invalid($"unknown architecture {(int)Architecture} (known: {ArchitectureNames.AllArchitectures})");
        if (!Enum.IsDefined(Head))
            throw Invalid($"unknown head {(int)Head} (known: {ArchitectureNames.AllHeads})");
        if (InputChannels <= 0 || InputHeight <= 0 || InputWidth <= 0)
            throw Invalid($"input size must be positive, got {InputChannels} channels × {InputHeight} × {InputWidth}");
        if (Mean is null || Mean.Count != InputChannels)
            throw Invalid($"mean has {Mean?.Count ?? 0} values for {InputChannels} input channels");
        if (Std is null || Std.Count != InputChannels)
            throw Invalid($"std has {Std?.Count ?? 0} values for {InputChannels} input channels");
        if (Mean.Any(m => !float.IsFinite(m)))
            throw Invalid($"mean must be finite, got [{string.Join(", ", Mean)}]");
        if (Std.Any(s => !float.IsFinite(s) || s <= 0))
            throw Invalid($"std must be positive and finite, got [{string.Join(", ", Std)}]");
        if (ClassNames is null || ClassNames.Count < 1)
            throw Invalid("there must be at least one class name");
        if (ClassNames.Any(string.IsNullOrWhiteSpace))
            throw Invalid("class names must not be empty");
        var duplicate = ClassNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw Invalid($"class name '{duplicate.Key}' appears {duplicate.Count()} times");
        if (DenseUnits <= 0)
            throw Invalid($"dense units must be positive, got {DenseUnits}");
        if (!(DropoutRate >= 0 && DropoutRate < 1))
            throw Invalid($"dropout rate must be in [0, 1), got {DropoutRate}");
        if (Architecture == Architecture.Cnn && (CnnWidths is null || CnnWidths.Count == 0 || CnnWidths.Any(w => w <= 0)))
            throw Invalid($"the CNN needs at least one block and positive widths, got [{string.Join(", ", CnnWidths ?? [])}]");
    }

    internal ArgumentException Invalid(string problem) => new($"Invalid model spec ({Describe()}): {problem}.");

    /// <summary>A short description such as <c>resnet50/dense 3×224×224, 10 classes</c>.</summary>
    public string Describe()
    {
        var arch = Enum.IsDefined(Architecture) ? Architecture.Name() : $"architecture {(int)Architecture}";
        var head = Enum.IsDefined(Head) ? Head.Name() : $"head {(int)Head}";
        return $"{arch}/{head} {InputChannels}×{InputHeight}×{InputWidth}, {ClassNames?.Count ?? 0} classes";
    }

    /// <summary>
    /// The spec as compact JSON: <c>{"architecture":"resnet50","head":"linear","inputChannels":3,
    /// "inputHeight":224,"inputWidth":224,"mean":[..],"std":[..],"classNames":[..],"denseUnits":512,
    /// "dropoutRate":0.5,"trainerVersion":..,"splitHash":..}</c>; <c>cnnWidths</c> only for the CNN.
    /// </summary>
    public string ToJson()
    {
        var doc = new ModelSpecDocument
        {
            Architecture = Architecture.Name(),
            Head = Head.Name(),
            InputChannels = InputChannels,
            InputHeight = InputHeight,
            InputWidth = InputWidth,
            Mean = [.. Mean],
            Std = [.. Std],
            ClassNames = [.. ClassNames],
            DenseUnits = DenseUnits,
            DropoutRate = DropoutRate,
            CnnWidths = Architecture == Architecture.Cnn ? [.. CnnWidths] : null,
            TrainerVersion = TrainerVersion,
            SplitHash = SplitHash,
        };
        return JsonSerializer.Serialize(doc, ModelJsonContext.Default.ModelSpecDocument);
    }

    /// <summary>
    /// Parses and validates a spec written by <see cref="ToJson"/>. Architecture, head and input
    /// height/width are required; other fields take their defaults when absent.
    /// </summary>
    /// <exception cref="ArgumentException">Not valid JSON, a required field is missing, or the spec is invalid.</exception>
    public static ModelSpec FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelSpecDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(json, ModelJsonContext.Default.ModelSpecDocument);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Invalid model spec: not valid spec JSON ({e.Message}).", nameof(json), e);
        }
        if (doc is null)
            throw new ArgumentException("Invalid model spec: the JSON is null.", nameof(json));
        if (!ArchitectureNames.TryParseArchitecture(doc.Architecture, out var architecture))
            throw new ArgumentException($"Invalid model spec: unknown architecture '{doc.Architecture}' (known: {ArchitectureNames.AllArchitectures}).", nameof(json));
        // ToJson writes cnnWidths only for the CNN; accepting it elsewhere made a spec that does not survive ToJson/FromJson.
        if (architecture != Architecture.Cnn && doc.CnnWidths is not null)
            throw new ArgumentException($"Invalid model spec: cnnWidths applies only to the CNN, not to '{doc.Architecture}'.", nameof(json));
        var head = ClassifierHead.Linear;
        if (doc.Head is not null && !ArchitectureNames.TryParseHead(doc.Head, out head))
            throw new ArgumentException($"Invalid model spec: unknown head '{doc.Head}' (known: {ArchitectureNames.AllHeads}).", nameof(json));
        if (doc.InputHeight is null || doc.InputWidth is null)
            throw new ArgumentException("Invalid model spec: inputHeight and inputWidth are required.", nameof(json));
        var spec = new ModelSpec
        {
            Architecture = architecture,
            Head = head,
            InputChannels = doc.InputChannels ?? 3,
            InputHeight = doc.InputHeight.Value,
            InputWidth = doc.InputWidth.Value,
            Mean = doc.Mean ?? (IReadOnlyList<float>)PreprocessSettings.ImageNetMean,
            Std = doc.Std ?? (IReadOnlyList<float>)PreprocessSettings.ImageNetStd,
            ClassNames = doc.ClassNames ?? (IReadOnlyList<string>)Genres.Names,
            DenseUnits = doc.DenseUnits ?? 512,
            DropoutRate = doc.DropoutRate ?? 0.5f,
            CnnWidths = doc.CnnWidths ?? CnnDefaultWidths,
            TrainerVersion = doc.TrainerVersion,
            SplitHash = doc.SplitHash,
        };
        spec.Validate();
        return spec;
    }

    /// <summary>Equal when every field is equal (lists compared element by element).</summary>
    public bool Equals(ModelSpec? other) =>
        other is not null
        && Architecture == other.Architecture && Head == other.Head
        && InputChannels == other.InputChannels && InputHeight == other.InputHeight && InputWidth == other.InputWidth
        && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std)
        && ClassNames.SequenceEqual(other.ClassNames, StringComparer.Ordinal)
        && DenseUnits == other.DenseUnits && DropoutRate.Equals(other.DropoutRate)
        && CnnWidths.SequenceEqual(other.CnnWidths)
        && TrainerVersion == other.TrainerVersion && SplitHash == other.SplitHash;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Architecture, Head, InputChannels, InputHeight, InputWidth, ClassNames.Count, TrainerVersion, SplitHash);
}

// A misspelled field ("inputHieght") is an error, not a silent default.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class ModelSpecDocument
{
    public string? Architecture { get; set; }
    public string? Head { get; set; }
    public int? InputChannels { get; set; }
    public int? InputHeight { get; set; }
    public int? InputWidth { get; set; }
    public List<float>? Mean { get; set; }
    public List<float>? Std { get; set; }
    public List<string>? ClassNames { get; set; }
    public int? DenseUnits { get; set; }
    public float? DropoutRate { get; set; }
    public List<int>? CnnWidths { get; set; }
    public string? TrainerVersion { get; set; }
    public string? SplitHash { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelSpecDocument))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
