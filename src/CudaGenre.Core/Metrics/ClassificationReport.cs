using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CudaGenre.Core.Metrics;

/// <summary>Precision, recall and F1 of one class, as in a row of scikit-learn's <c>classification_report</c>.</summary>
/// <param name="Name">Class name.</param>
/// <param name="Precision">Fraction of the samples predicted as this class that are; 0 when none were predicted.</param>
/// <param name="Recall">Fraction of this class's samples predicted as it; 0 when the class has no samples.</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Number of samples whose true class this is.</param>
public sealed record ClassMetrics(string Name, double Precision, double Recall, double F1, int Support);

/// <summary>
/// An immutable snapshot of a <see cref="Metrics.ConfusionMatrix"/> and the metrics derived from it: the
/// machine-readable JSON (<see cref="ToJson"/>) and the human-readable table (<see cref="ToText"/>) of one
/// evaluation. Metric definitions are those of <see cref="Metrics.ConfusionMatrix"/> (scikit-learn's).
/// </summary>
/// <remarks>Two reports are equal when every field, list element and count is equal.</remarks>
public sealed record ClassificationReport
{
    /// <summary>Number of samples evaluated.</summary>
    public required int SampleCount { get; init; }

    /// <summary>Fraction of samples predicted correctly.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Mean recall over the classes present in the truth.</summary>
    public required double BalancedAccuracy { get; init; }

    /// <summary>Mean precision over the classes present in the truth or the predictions.</summary>
    public required double MacroPrecision { get; init; }

    /// <summary>Mean recall over the classes present in the truth or the predictions.</summary>
    public required double MacroRecall { get; init; }

    /// <summary>Mean F1 over the classes present in the truth or the predictions.</summary>
    public required double MacroF1 { get; init; }

    /// <summary>Class names in label order.</summary>
    public required ImmutableArray<string> ClassNames { get; init; }

    /// <summary>One row per class, in label order (all classes, including those absent from the data).</summary>
    public required ImmutableArray<ClassMetrics> Classes { get; init; }

    /// <summary>Counts <c>[truth][predicted]</c>, in label order; in JSON an array of rows (<c>int[][]</c>).</summary>
    public required ImmutableArray<ImmutableArray<int>> ConfusionMatrix { get; init; }

    /// <summary>Takes the metrics of <paramref name="matrix"/>.</summary>
    /// <exception cref="InvalidOperationException">The matrix is empty (accuracy is undefined).</exception>
    public static ClassificationReport From(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var classes = ImmutableArray.CreateBuilder<ClassMetrics>(matrix.ClassCount);
        var counts = ImmutableArray.CreateBuilder<ImmutableArray<int>>(matrix.ClassCount);
        var rows = matrix.ToArray();
        for (var c = 0; c < matrix.ClassCount; c++)
        {
            classes.Add(new ClassMetrics(matrix.ClassNames[c], matrix.Precision(c), matrix.Recall(c), matrix.F1(c), matrix.Support(c)));
            counts.Add([.. rows[c]]);
        }

        return new ClassificationReport
        {
            SampleCount = matrix.Total,
            Accuracy = matrix.Accuracy,
            BalancedAccuracy = matrix.BalancedAccuracy,
            MacroPrecision = matrix.MacroPrecision,
            MacroRecall = matrix.MacroRecall,
            MacroF1 = matrix.MacroF1,
            ClassNames = [.. matrix.ClassNames],
            Classes = classes.MoveToImmutable(),
            ConfusionMatrix = counts.MoveToImmutable(),
        };
    }

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not such a report, or its parts disagree in class count.</exception>
    public static ClassificationReport FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var report = JsonSerializer.Deserialize(json, MetricsJsonContext.Default.ClassificationReport)
            ?? throw new JsonException("Expected a classification report object, found null.");
        report.Validate();
        return report;
    }

    /// <summary>Reads a report from the JSON file <paramref name="path"/>.</summary>
    /// <exception cref="DataFileException">The file cannot be read or is not a valid report.</exception>
    public static ClassificationReport Load(string path)
    {
        try
        {
            return FromJson(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"not a readable classification report: {e.Message}", e);
        }
    }

    /// <summary>The matrix these metrics were taken from.</summary>
    public ConfusionMatrix ToConfusionMatrix()
        => Metrics.ConfusionMatrix.FromCounts([.. ConfusionMatrix.Select(row => (IReadOnlyList<int>)row)], ClassNames);

    /// <summary>Indented camelCase JSON; <see cref="FromJson"/> reads it back exactly (doubles round-trip).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, MetricsJsonContext.Default.ClassificationReport);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>, creating its folder if needed.</summary>
    public void Save(string path)
    {
        AtomicFile.WriteText(path, ToJson());
    }

    /// <summary>
    /// A fixed-width table in the style of scikit-learn's <c>classification_report</c> (three decimals,
    /// invariant culture): per-class precision, recall, F1 and support; accuracy, balanced accuracy and the
    /// macro averages; then the confusion matrix with true classes as rows (full names) and predicted classes
    /// as columns (names shortened to the shortest unique prefix of at least three letters).
    /// </summary>
    public string ToText()
    {
        const string balancedLabel = "balanced accuracy";
        var nameWidth = Math.Max(balancedLabel.Length, ClassNames.Max(n => n.Length));
        var text = new StringBuilder();
        void Line(string label, string precision, string recall, string f1, string support)
            => text.Append(CultureInfo.InvariantCulture, $"{label.PadLeft(nameWidth)} {precision,10}{recall,10}{f1,10}{support,10}\n");

        Line("", "precision", "recall", "f1-score", "support");
        text.Append('\n');
        foreach (var row in Classes)
            Line(row.Name, Format(row.Precision), Format(row.Recall), Format(row.F1), Format(row.Support));
        text.Append('\n');
        Line("accuracy", "", "", Format(Accuracy), Format(SampleCount));
        Line(balancedLabel, "", "", Format(BalancedAccuracy), Format(SampleCount));
        Line("macro avg", Format(MacroPrecision), Format(MacroRecall), Format(MacroF1), Format(SampleCount));

        text.Append("\nconfusion matrix (rows: true class, columns: predicted class)\n\n");
        var headers = ShortNames(ClassNames);
        var maxCount = ConfusionMatrix.SelectMany(r => r).DefaultIfEmpty(0).Max();
        var cellWidth = Math.Max(headers.Max(h => h.Length), Format(maxCount).Length) + 2;
        text.Append(' ', nameWidth + 1);
        foreach (var header in headers)
            text.Append(header.PadLeft(cellWidth));
        text.Append('\n');
        for (var t = 0; t < ClassNames.Length; t++)
        {
            text.Append(ClassNames[t].PadLeft(nameWidth)).Append(' ');
            foreach (var count in ConfusionMatrix[t])
                text.Append(Format(count).PadLeft(cellWidth));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public bool Equals(ClassificationReport? other)
        => other is not null
            && SampleCount == other.SampleCount
            && Accuracy.Equals(other.Accuracy)
            && BalancedAccuracy.Equals(other.BalancedAccuracy)
            && MacroPrecision.Equals(other.MacroPrecision)
            && MacroRecall.Equals(other.MacroRecall)
            && MacroF1.Equals(other.MacroF1)
            && ClassNames.SequenceEqual(other.ClassNames)
            && Classes.SequenceEqual(other.Classes)
            && ConfusionMatrix.Length == other.ConfusionMatrix.Length
            && ConfusionMatrix.Zip(other.ConfusionMatrix).All(rows => rows.First.SequenceEqual(rows.Second));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SampleCount, Accuracy, BalancedAccuracy, MacroF1, ClassNames.Length);

    /// <summary>
    /// The shortest prefixes, at least three letters long, that tell the names apart
    /// ("blues" → "blu", "classical" → "cla"), for column headers.
    /// </summary>
    internal static string[] ShortNames(IReadOnlyList<string> names)
    {
        var longest = names.Max(n => n.Length);
        for (var length = 3; length < longest; length++)
        {
            var prefixes = names.Select(n => n.Length <= length ? n : n[..length]).ToArray();
            if (prefixes.Distinct(StringComparer.Ordinal).Count() == prefixes.Length)
                return prefixes;
        }
        return [.. names];
    }

    private static string Format(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private void Validate()
    {
        // default(ImmutableArray) would throw on use far from here; say what is missing instead.
        if (ClassNames.IsDefault || Classes.IsDefault || ConfusionMatrix.IsDefault || ConfusionMatrix.Any(r => r.IsDefault))
            throw new JsonException("A classification report needs classNames, classes and confusionMatrix.");
        var n = ClassNames.Length;
        if (n == 0 || Classes.Length != n || ConfusionMatrix.Length != n || ConfusionMatrix.Any(r => r.Length != n))
        {
            throw new JsonException(
                $"The report's parts disagree: {n} class names, {Classes.Length} class rows, "
                + $"a {ConfusionMatrix.Length}-row confusion matrix; all must have one entry per class.");
        }
    }
}

/// <summary>Source-generated (reflection-free, AOT-safe) JSON metadata for <see cref="ClassificationReport"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ClassificationReport))]
internal sealed partial class MetricsJsonContext : JsonSerializerContext;
