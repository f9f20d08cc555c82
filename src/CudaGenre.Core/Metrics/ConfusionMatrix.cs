namespace CudaGenre.Core.Metrics;

/// <summary>
/// Counts of (true class, predicted class) pairs, and the classification metrics derived from them.
/// Row = true class, column = predicted class; class <c>i</c> is <c>ClassNames[i]</c>.
/// </summary>
/// <remarks>
/// <para>The metrics follow scikit-learn so that numbers from the trainer, the engine and a Python
/// notebook can be compared directly:</para>
/// <list type="bullet">
/// <item><see cref="Precision"/>, <see cref="Recall"/> and <see cref="F1"/> of a class are 0 where their
/// denominator is 0 (scikit-learn's <c>zero_division=0</c>). F1 is <c>2·TP / (2·TP + FP + FN)</c>, the form
/// scikit-learn ≥ 1.3 uses.</item>
/// <item><see cref="BalancedAccuracy"/> is the mean recall over the classes that occur in the truth
/// (<c>balanced_accuracy_score</c>: classes that are only predicted are ignored, with a warning there).</item>
/// <item><see cref="MacroF1"/>, <see cref="MacroPrecision"/> and <see cref="MacroRecall"/> average over the
/// classes that occur in the truth or in the predictions (<c>f1_score(average='macro')</c> with its default
/// <c>labels</c>, which are the labels present). A class that is predicted but never true therefore counts
/// in <see cref="MacroRecall"/> (with recall 0) but not in <see cref="BalancedAccuracy"/>, as in scikit-learn.</item>
/// </list>
/// <para>An empty matrix has no accuracy: <see cref="Accuracy"/>, <see cref="BalancedAccuracy"/> and the macro
/// averages throw <see cref="InvalidOperationException"/> rather than return NaN, so that a NaN can never
/// leak into a report or pass a threshold check unnoticed.</para>
/// </remarks>
public sealed class ConfusionMatrix
{
    private readonly string[] _classNames;
    private readonly int[,] _counts;
    private readonly int[] _support;
    private readonly int[] _predicted;

    /// <summary>An empty matrix over the classes <paramref name="classNames"/>, in label order.</summary>
    /// <exception cref="ArgumentException">There are no classes, or a name is empty or repeated.</exception>
    public ConfusionMatrix(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
            throw new ArgumentException("A confusion matrix needs at least one class.", nameof(classNames));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in classNames)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("Class names must not be empty.", nameof(classNames));
            if (!seen.Add(name))
                throw new ArgumentException($"Class name '{name}' appears more than once.", nameof(classNames));
        }

        _classNames = [.. classNames];
        _counts = new int[_classNames.Length, _classNames.Length];
        _support = new int[_classNames.Length];
        _predicted = new int[_classNames.Length];
    }

    /// <summary>An empty matrix over the ten GTZAN genres (<see cref="Genres.Names"/>).</summary>
    public ConfusionMatrix()
        : this(Genres.Names)
    {
    }

    /// <summary>The class names in label order.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Number of classes (rows and columns).</summary>
    public int ClassCount => _classNames.Length;

    /// <summary>Number of (truth, prediction) pairs added.</summary>
    public int Total { get; private set; }

    /// <summary>How many samples of true class <paramref name="truth"/> were predicted as <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is not in 0..<see cref="ClassCount"/>−1.</exception>
    public int this[int truth, int predicted]
    {
        get
        {
            CheckLabel(truth, nameof(truth));
            CheckLabel(predicted, nameof(predicted));
            return _counts[truth, predicted];
        }
    }

    /// <summary>Builds a matrix from parallel label lists.</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range.</exception>
    public static ConfusionMatrix From(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<string> classNames)
    {
        var matrix = new ConfusionMatrix(classNames);
        matrix.AddRange(truth, predicted);
        return matrix;
    }

    /// <summary>
    /// Rebuilds a matrix from its counts, <c>counts[truth][predicted]</c> (the layout of
    /// <see cref="ToArray"/> and of <see cref="ClassificationReport.ConfusionMatrix"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The counts are not square over the classes, or a count is negative.</exception>
    public static ConfusionMatrix FromCounts(IReadOnlyList<IReadOnlyList<int>> counts, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var matrix = new ConfusionMatrix(classNames);
        if (counts.Count != matrix.ClassCount)
            throw new ArgumentException($"Expected {matrix.ClassCount} rows of counts, got {counts.Count}.", nameof(counts));
        for (var t = 0; t < counts.Count; t++)
        {
            var row = counts[t];
            if (row.Count != matrix.ClassCount)
                throw new ArgumentException($"Row {t} has {row.Count} counts, expected {matrix.ClassCount}.", nameof(counts));
            for (var p = 0; p < row.Count; p++)
            {
                if (row[p] < 0)
                    throw new ArgumentException($"Count [{t}, {p}] is negative ({row[p]}).", nameof(counts));
                matrix.AddCount(t, p, row[p]);
            }
        }
        return matrix;
    }

    /// <summary>Counts one sample of true class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is not in 0..<see cref="ClassCount"/>−1.</exception>
    public void Add(int truth, int predicted)
    {
        CheckLabel(truth, nameof(truth));
        CheckLabel(predicted, nameof(predicted));
        AddCount(truth, predicted, 1);
    }

    /// <summary>Counts each pair <c>(truth[i], predicted[i])</c>.</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range; nothing is added then.</exception>
    public void AddRange(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions.", nameof(predicted));

        // Check everything first so that a bad label leaves the matrix as it was.
        for (var i = 0; i < truth.Count; i++)
        {
            CheckLabel(truth[i], nameof(truth));
            CheckLabel(predicted[i], nameof(predicted));
        }
        for (var i = 0; i < truth.Count; i++)
            AddCount(truth[i], predicted[i], 1);
    }

    /// <summary>Number of samples whose true class is <paramref name="label"/> (row sum).</summary>
    public int Support(int label)
    {
        CheckLabel(label, nameof(label));
        return _support[label];
    }

    /// <summary>Number of samples predicted as <paramref name="label"/> (column sum).</summary>
    public int Predicted(int label)
    {
        CheckLabel(label, nameof(label));
        return _predicted[label];
    }

    /// <summary>Fraction of samples predicted correctly (trace / total).</summary>
    /// <exception cref="InvalidOperationException">The matrix is empty.</exception>
    public double Accuracy
    {
        get
        {
            ThrowIfEmpty(nameof(Accuracy));
            long correct = 0;
            for (var c = 0; c < ClassCount; c++)
                correct += _counts[c, c];
            return (double)correct / Total;
        }
    }

    /// <summary>
    /// Mean recall over the classes that occur in the truth (support &gt; 0); classes absent from the truth
    /// are left out, as scikit-learn's <c>balanced_accuracy_score</c> does.
    /// </summary>
    /// <exception cref="InvalidOperationException">The matrix is empty.</exception>
    public double BalancedAccuracy
    {
        get
        {
            ThrowIfEmpty(nameof(BalancedAccuracy));
            double sum = 0;
            var classes = 0;
            for (var c = 0; c < ClassCount; c++)
            {
                if (_support[c] == 0)
                    continue;
                sum += Recall(c);
                classes++;
            }
            return sum / classes;
        }
    }

    /// <summary>Mean <see cref="Precision"/> over the classes present in the truth or the predictions.</summary>
    /// <exception cref="InvalidOperationException">The matrix is empty.</exception>
    public double MacroPrecision => MeanOverPresentClasses(Precision, nameof(MacroPrecision));

    /// <summary>Mean <see cref="Recall"/> over the classes present in the truth or the predictions.</summary>
    /// <exception cref="InvalidOperationException">The matrix is empty.</exception>
    public double MacroRecall => MeanOverPresentClasses(Recall, nameof(MacroRecall));

    /// <summary>
    /// Mean <see cref="F1"/> over the classes present in the truth or the predictions, as scikit-learn's
    /// <c>f1_score(average='macro')</c> with its default labels. Classes absent from both are left out.
    /// </summary>
    /// <exception cref="InvalidOperationException">The matrix is empty.</exception>
    public double MacroF1 => MeanOverPresentClasses(F1, nameof(MacroF1));

    /// <summary>Of the samples predicted as <paramref name="label"/>, the fraction that truly are; 0 when none were predicted.</summary>
    public double Precision(int label)
    {
        CheckLabel(label, nameof(label));
        return _predicted[label] == 0 ? 0 : (double)_counts[label, label] / _predicted[label];
    }

    /// <summary>Of the samples truly <paramref name="label"/>, the fraction predicted so; 0 when the class has no samples.</summary>
    public double Recall(int label)
    {
        CheckLabel(label, nameof(label));
        return _support[label] == 0 ? 0 : (double)_counts[label, label] / _support[label];
    }

    /// <summary>
    /// Harmonic mean of precision and recall, computed as <c>2·TP / (2·TP + FP + FN)</c>;
    /// 0 when the class is neither true nor predicted anywhere.
    /// </summary>
    public double F1(int label)
    {
        CheckLabel(label, nameof(label));
        long truePositives = _counts[label, label];
        // 2TP + FP + FN = support + predicted.
        long denominator = (long)_support[label] + _predicted[label];
        return denominator == 0 ? 0 : 2.0 * truePositives / denominator;
    }

    /// <summary>A copy of the counts, <c>[truth][predicted]</c>.</summary>
    public int[][] ToArray()
    {
        var rows = new int[ClassCount][];
        for (var t = 0; t < ClassCount; t++)
        {
            rows[t] = new int[ClassCount];
            for (var p = 0; p < ClassCount; p++)
                rows[t][p] = _counts[t, p];
        }
        return rows;
    }

    private double MeanOverPresentClasses(Func<int, double> metric, string name)
    {
        ThrowIfEmpty(name);
        double sum = 0;
        var classes = 0;
        for (var c = 0; c < ClassCount; c++)
        {
            if (_support[c] == 0 && _predicted[c] == 0)
                continue;
            sum += metric(c);
            classes++;
        }
        return sum / classes;
    }

    private void AddCount(int truth, int predicted, int count)
    {
        // checked: a silent wrap-around would corrupt every metric.
        checked
        {
            _counts[truth, predicted] += count;
            _support[truth] += count;
            _predicted[predicted] += count;
            Total += count;
        }
    }

    private void CheckLabel(int label, string paramName)
    {
        if ((uint)label >= (uint)_classNames.Length)
        {
            throw new ArgumentOutOfRangeException(
                paramName, label, $"Label {label} is not a class of this matrix (0..{_classNames.Length - 1}).");
        }
    }

    private void ThrowIfEmpty(string metric)
    {
        if (Total == 0)
            throw new InvalidOperationException($"{metric} is undefined for an empty confusion matrix (no samples were added).");
    }
}
