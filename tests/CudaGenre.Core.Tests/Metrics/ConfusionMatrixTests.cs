using CudaGenre.Core.Metrics;

namespace CudaGenre.Core.Tests.Metrics;

/// <summary>
/// Every expectation here is worked out by hand (fractions in the comments) or copied from the examples
/// in scikit-learn's documentation; none is computed by the code under test.
/// </summary>
public class ConfusionMatrixTests
{
    private const double Tolerance = 1e-12;
    private static readonly string[] ThreeGenres = ["blues", "classical", "country"];

    /// <summary>
    /// Rows = truth, columns = prediction:
    /// <code>
    /// blues     [3 1 0]  support 4
    /// classical [1 1 1]  support 3
    /// country   [0 0 2]  support 2
    /// predicted: 4 2 3
    /// </code>
    /// </summary>
    internal static ConfusionMatrix HandCase() => ConfusionMatrix.From(
        [0, 0, 0, 0, 1, 1, 1, 2, 2],
        [0, 0, 0, 1, 0, 1, 2, 2, 2],
        ThreeGenres);

    [Fact]
    public void From_CountsEachPairInItsCell()
    {
        var m = HandCase();
        int[][] expected = [[3, 1, 0], [1, 1, 1], [0, 0, 2]];
        Assert.Equal(expected, m.ToArray());
        Assert.Equal(9, m.Total);
        Assert.Equal(1, m[1, 2]);
        Assert.Equal(0, m[2, 0]);
        Assert.Equal([4, 3, 2], Enumerable.Range(0, 3).Select(m.Support));
        Assert.Equal([4, 2, 3], Enumerable.Range(0, 3).Select(m.Predicted));
    }

    [Fact]
    public void HandCase_Accuracy_IsTraceOverTotal()
        => Assert.Equal(6.0 / 9.0, HandCase().Accuracy, Tolerance); // (3 + 1 + 2) / 9

    [Fact]
    public void HandCase_BalancedAccuracy_IsMeanRecall()
        => Assert.Equal(25.0 / 36.0, HandCase().BalancedAccuracy, Tolerance); // (3/4 + 1/3 + 2/2) / 3 = 25/36

    [Fact]
    public void HandCase_PerClassPrecisionRecallF1()
    {
        var m = HandCase();
        // precision = diagonal / column sum; recall = diagonal / row sum; F1 = 2TP / (row + column).
        Assert.Equal(3.0 / 4.0, m.Precision(0), Tolerance);
        Assert.Equal(1.0 / 2.0, m.Precision(1), Tolerance);
        Assert.Equal(2.0 / 3.0, m.Precision(2), Tolerance);
        Assert.Equal(3.0 / 4.0, m.Recall(0), Tolerance);
        Assert.Equal(1.0 / 3.0, m.Recall(1), Tolerance);
        Assert.Equal(1.0, m.Recall(2), Tolerance);
        Assert.Equal(6.0 / 8.0, m.F1(0), Tolerance); // 2·3 / (4 + 4)
        Assert.Equal(2.0 / 5.0, m.F1(1), Tolerance); // 2·1 / (3 + 2); also 2·(1/2)(1/3) / (1/2 + 1/3) = 0.4
        Assert.Equal(4.0 / 5.0, m.F1(2), Tolerance); // 2·2 / (2 + 3)
    }

    [Fact]
    public void HandCase_MacroAverages()
    {
        var m = HandCase();
        Assert.Equal(0.65, m.MacroF1, Tolerance);                 // (0.75 + 0.4 + 0.8) / 3
        Assert.Equal(23.0 / 36.0, m.MacroPrecision, Tolerance);   // (9/12 + 6/12 + 8/12) / 3
        Assert.Equal(25.0 / 36.0, m.MacroRecall, Tolerance);      // every class is in the truth: = balanced accuracy
    }

    [Fact]
    public void ClassPredictedButAbsentFromTruth_IsLeftOutOfBalancedAccuracy_AndHasPrecisionZero()
    {
        // truth [0 0 1 1], predicted [0 2 1 1]: country is predicted once, never true.
        var m = ConfusionMatrix.From([0, 0, 1, 1], [0, 2, 1, 1], ThreeGenres);

        Assert.Equal(0.75, m.BalancedAccuracy, Tolerance);   // (1/2 + 2/2) / 2, not (1/2 + 1 + 0) / 3 = 0.5
        Assert.Equal(0.0, m.Precision(2));                   // 0 correct of 1 predicted
        Assert.Equal(0.0, m.Recall(2));                      // 0/0 → 0 (zero_division=0)
        Assert.Equal(0.0, m.F1(2));
        Assert.Equal(0, m.Support(2));
        Assert.Equal(1, m.Predicted(2));
        Assert.Equal(0.75, m.Accuracy, Tolerance);           // 3 of 4
        // Macro F1 counts country (present in the predictions): (2/3 + 1 + 0) / 3 = 5/9.
        Assert.Equal(5.0 / 9.0, m.MacroF1, Tolerance);
        // ...and so does macro recall, which therefore differs from balanced accuracy: (1/2 + 1 + 0) / 3.
        Assert.Equal(0.5, m.MacroRecall, Tolerance);
    }

    [Fact]
    public void ClassAbsentFromTruthAndPredictions_IsLeftOutOfMacroF1()
    {
        // Four classes, rock never appears: F1 = [1, 2/3, 0, —] → (1 + 2/3 + 0) / 3 = 5/9 (not 5/12).
        var m = ConfusionMatrix.From([0, 1, 2], [0, 1, 1], ["blues", "classical", "country", "rock"]);
        Assert.Equal(5.0 / 9.0, m.MacroF1, Tolerance);
        Assert.Equal(2.0 / 3.0, m.BalancedAccuracy, Tolerance); // (1 + 1 + 0) / 3
        Assert.Equal(0.0, m.Precision(3));
        Assert.Equal(0.0, m.F1(3));
    }

    [Fact]
    public void PerfectPredictions_ScoreOneEverywhere()
    {
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 4, 9];
        var m = ConfusionMatrix.From(labels, labels, Genres.Names);
        Assert.Equal(1.0, m.Accuracy);
        Assert.Equal(1.0, m.BalancedAccuracy);
        Assert.Equal(1.0, m.MacroF1);
        for (var c = 0; c < Genres.Count; c++)
        {
            Assert.Equal(1.0, m.Precision(c));
            Assert.Equal(1.0, m.Recall(c));
            Assert.Equal(1.0, m.F1(c));
        }
    }

    [Fact]
    public void EverythingPredictedAsOneClass()
    {
        // truth [0 0 0 1 2 2], all predicted blues.
        var m = ConfusionMatrix.From([0, 0, 0, 1, 2, 2], [0, 0, 0, 0, 0, 0], ThreeGenres);
        Assert.Equal(0.5, m.Accuracy, Tolerance);                // 3 / 6
        Assert.Equal(1.0 / 3.0, m.BalancedAccuracy, Tolerance);  // (1 + 0 + 0) / 3
        Assert.Equal(0.5, m.Precision(0), Tolerance);            // 3 / 6
        Assert.Equal(0.0, m.Precision(1));                       // never predicted: 0/0 → 0
        Assert.Equal(2.0 / 3.0, m.F1(0), Tolerance);             // 2·3 / (3 + 6)
        Assert.Equal(2.0 / 9.0, m.MacroF1, Tolerance);           // (2/3 + 0 + 0) / 3
    }

    [Fact]
    public void SklearnDocs_BalancedAccuracyExample()
    {
        // sklearn.metrics.balanced_accuracy_score docs: y_true=[0,1,0,0,1,0], y_pred=[0,1,0,0,0,1] → 0.625.
        var m = ConfusionMatrix.From([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], ["a", "b"]);
        Assert.Equal(0.625, m.BalancedAccuracy, Tolerance);
    }

    [Fact]
    public void SklearnDocs_F1PrecisionRecallMacroExample()
    {
        // sklearn.metrics.f1_score / precision_score / recall_score docs:
        // y_true=[0,1,2,0,1,2], y_pred=[0,2,1,0,0,1] → macro F1 0.2666…, precision 0.2222…, recall 0.3333….
        var m = ConfusionMatrix.From([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], ["a", "b", "c"]);
        Assert.Equal(0.26666666666666666, m.MacroF1, Tolerance);
        Assert.Equal(0.22222222222222221, m.MacroPrecision, Tolerance);
        Assert.Equal(0.33333333333333331, m.MacroRecall, Tolerance);
    }

    [Fact]
    public void SklearnDocs_ClassificationReportExample()
    {
        // sklearn.metrics.classification_report docs: y_true=[0,1,2,2,2], y_pred=[0,0,2,2,1] prints
        //   class 0  0.50 1.00 0.67 1 / class 1  0.00 0.00 0.00 1 / class 2  1.00 0.67 0.80 3
        //   accuracy 0.60 / macro avg 0.50 0.56 0.49.
        var m = ConfusionMatrix.From([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], ["class 0", "class 1", "class 2"]);
        double[] precision = [0.50, 0.00, 1.00], recall = [1.00, 0.00, 0.67], f1 = [0.67, 0.00, 0.80];
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(precision[c], m.Precision(c), 0.005);
            Assert.Equal(recall[c], m.Recall(c), 0.005);
            Assert.Equal(f1[c], m.F1(c), 0.005);
        }
        Assert.Equal(0.60, m.Accuracy, 0.005);
        Assert.Equal(0.50, m.MacroPrecision, 0.005);
        Assert.Equal(0.56, m.MacroRecall, 0.005);
        Assert.Equal(0.49, m.MacroF1, 0.005);
    }

    [Fact]
    public void EmptyMatrix_HasNoAccuracy_ButPerClassMetricsAreZero()
    {
        var m = new ConfusionMatrix(ThreeGenres);
        var e = Assert.Throws<InvalidOperationException>(() => m.Accuracy);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => m.BalancedAccuracy);
        Assert.Throws<InvalidOperationException>(() => m.MacroF1);
        Assert.Equal(0.0, m.Precision(0));
        Assert.Equal(0.0, m.Recall(0));
        Assert.Equal(0.0, m.F1(0));
        Assert.Equal(0, m.Total);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(3, 0)]
    [InlineData(0, -1)]
    [InlineData(0, 3)]
    public void Add_RejectsLabelsOutOfRange(int truth, int predicted)
    {
        var m = new ConfusionMatrix(ThreeGenres);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Add(truth, predicted));
        Assert.Equal(0, m.Total);
    }

    [Fact]
    public void Indexer_Support_Predicted_RejectLabelsOutOfRange()
    {
        var m = HandCase();
        Assert.Throws<ArgumentOutOfRangeException>(() => m[0, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Support(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Predicted(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Recall(3));
    }

    [Fact]
    public void AddRange_WithABadLabel_AddsNothing()
    {
        var m = new ConfusionMatrix(ThreeGenres);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.AddRange([0, 1, 2], [0, 1, 7]));
        Assert.Equal(0, m.Total);
        Assert.Equal(0, m[0, 0]);
    }

    [Fact]
    public void AddRange_RejectsListsOfDifferentLength()
        => Assert.Throws<ArgumentException>(() => new ConfusionMatrix(ThreeGenres).AddRange([0, 1], [0]));

    [Fact]
    public void Add_AccumulatesOnTopOfAddRange()
    {
        var m = HandCase();
        m.Add(2, 0);
        Assert.Equal(10, m.Total);
        Assert.Equal(1, m[2, 0]);
        Assert.Equal(3, m.Support(2));
        Assert.Equal(5, m.Predicted(0));
    }

    [Fact]
    public void DefaultConstructor_UsesTheGtzanGenres()
    {
        var m = new ConfusionMatrix();
        Assert.Equal(Genres.Names, m.ClassNames);
        Assert.Equal(10, m.ClassCount);
    }

    [Fact]
    public void Constructor_RejectsRepeatedOrMissingClassNames()
    {
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix(["rock", "pop", "rock"]));
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix([]));
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix(["rock", " "]));
    }

    [Fact]
    public void FromCounts_RebuildsTheSameMatrix()
    {
        var m = ConfusionMatrix.FromCounts([[3, 1, 0], [1, 1, 1], [0, 0, 2]], ThreeGenres);
        Assert.Equal(HandCase().ToArray(), m.ToArray());
        Assert.Equal(9, m.Total);
        Assert.Equal([4, 2, 3], Enumerable.Range(0, 3).Select(m.Predicted));
    }

    [Fact]
    public void FromCounts_RejectsNonSquareOrNegativeCounts()
    {
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromCounts([[1, 0], [0, 1]], ThreeGenres));
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromCounts([[1, 0, 0], [0, 1], [0, 0, 1]], ThreeGenres));
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromCounts([[1, 0, 0], [0, -1, 0], [0, 0, 1]], ThreeGenres));
    }
}
