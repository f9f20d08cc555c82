using System.Text.Json;
using CudaGenre.Core.Metrics;

namespace CudaGenre.Core.Tests.Metrics;

public class ClassificationReportTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void From_TakesTheMatrixMetrics()
    {
        var report = ClassificationReport.From(ConfusionMatrixTests.HandCase());

        Assert.Equal(9, report.SampleCount);
        Assert.Equal(6.0 / 9.0, report.Accuracy, Tolerance);
        Assert.Equal(25.0 / 36.0, report.BalancedAccuracy, Tolerance);
        Assert.Equal(0.65, report.MacroF1, Tolerance);
        Assert.Equal(["blues", "classical", "country"], report.ClassNames);
        Assert.Equal("classical", report.Classes[1].Name);
        Assert.Equal(0.5, report.Classes[1].Precision, Tolerance);
        Assert.Equal(1.0 / 3.0, report.Classes[1].Recall, Tolerance);
        Assert.Equal(0.4, report.Classes[1].F1, Tolerance);
        Assert.Equal(3, report.Classes[1].Support);
        Assert.Equal([1, 1, 1], report.ConfusionMatrix[1]);
    }

    [Fact]
    public void From_EmptyMatrix_Throws()
        => Assert.Throws<InvalidOperationException>(() => ClassificationReport.From(new ConfusionMatrix()));

    [Fact]
    public void Json_RoundTripIsExact()
    {
        // 1/3, 25/36 and 2/3 have no short decimal form: they test that doubles survive the trip bit for bit.
        var report = ClassificationReport.From(ConfusionMatrixTests.HandCase());
        var json = report.ToJson();
        var back = ClassificationReport.FromJson(json);

        Assert.Equal(report, back);
        Assert.Equal(report.BalancedAccuracy, back.BalancedAccuracy); // exact, no tolerance
        Assert.Equal(report.Classes[1].Recall, back.Classes[1].Recall);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void Json_IsIndentedCamelCase()
    {
        var json = ClassificationReport.From(ConfusionMatrixTests.HandCase()).ToJson();
        Assert.Contains("\n  \"sampleCount\": 9,", json, StringComparison.Ordinal);
        Assert.Contains("\"balancedAccuracy\":", json, StringComparison.Ordinal);
        Assert.Contains("\"macroF1\": 0.65", json, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"blues\"", json, StringComparison.Ordinal);
        Assert.Contains("\"confusionMatrix\": [", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"SampleCount\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Equality_ComparesContentsNotArrayReferences()
    {
        var a = ClassificationReport.From(ConfusionMatrixTests.HandCase());
        var b = ClassificationReport.From(ConfusionMatrixTests.HandCase());
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { ConfusionMatrix = [[3, 1, 0], [1, 1, 1], [0, 1, 2]] });
    }

    [Fact]
    public void FromJson_RejectsReportsWhosePartsDisagree()
    {
        var report = ClassificationReport.From(ConfusionMatrixTests.HandCase());
        var bad = report with { ConfusionMatrix = [[3, 1], [1, 1]] };
        var e = Assert.Throws<JsonException>(() => ClassificationReport.FromJson(bad.ToJson()));
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromJson_RejectsMissingParts()
    {
        Assert.ThrowsAny<JsonException>(() => ClassificationReport.FromJson("""{ "sampleCount": 9 }"""));
        Assert.ThrowsAny<JsonException>(() => ClassificationReport.FromJson("null"));
        Assert.ThrowsAny<JsonException>(() => ClassificationReport.FromJson("not json"));
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_AndLoadNamesTheFileOnError()
    {
        using var folder = new TempFolder();
        var path = folder.File("sub", "report.json");
        var report = ClassificationReport.From(ConfusionMatrixTests.HandCase());
        report.Save(path);
        Assert.Equal(report, ClassificationReport.Load(path));

        var broken = folder.File("broken.json");
        File.WriteAllText(broken, "{ \"sampleCount\": ");
        var e = Assert.Throws<DataFileException>(() => ClassificationReport.Load(broken));
        Assert.Equal(broken, e.FilePath);
    }

    [Fact]
    public void ToConfusionMatrix_GivesBackTheCounts()
    {
        var m = ClassificationReport.From(ConfusionMatrixTests.HandCase()).ToConfusionMatrix();
        Assert.Equal(new int[][] { [3, 1, 0], [1, 1, 1], [0, 0, 2] }, m.ToArray());
        Assert.Equal(["blues", "classical", "country"], m.ClassNames);
    }

    [Fact]
    public void ToText_IsTheFixedWidthTable()
    {
        // Hand-rounded: 2/3 → 0.667, 1/3 → 0.333, 25/36 = 0.69444 → 0.694, 23/36 = 0.63889 → 0.639.
        // The label column is as wide as "balanced accuracy" (17); each number column is 10 wide.
        string expected =
            "                   precision    recall  f1-score   support\n" +
            "\n" +
            "            blues      0.750     0.750     0.750         4\n" +
            "        classical      0.500     0.333     0.400         3\n" +
            "          country      0.667     1.000     0.800         2\n" +
            "\n" +
            "         accuracy                          0.667         9\n" +
            "balanced accuracy                          0.694         9\n" +
            "        macro avg      0.639     0.694     0.650         9\n" +
            "\n" +
            "confusion matrix (rows: true class, columns: predicted class)\n" +
            "\n" +
            "                    blu  cla  cou\n" +
            "            blues     3    1    0\n" +
            "        classical     1    1    1\n" +
            "          country     0    0    2\n";

        Assert.Equal(expected, ClassificationReport.From(ConfusionMatrixTests.HandCase()).ToText());
    }

    [Fact]
    public void ToText_WidensColumnsForLargeCounts()
    {
        var m = ConfusionMatrix.FromCounts([[123456, 0], [7, 1]], ["blues", "rock"]);
        var text = ClassificationReport.From(m).ToText();
        // Widest cell "123456" + 2 spaces of separation.
        Assert.Contains("\n                       blu     roc\n", text, StringComparison.Ordinal);
        Assert.Contains("\n            blues   123456       0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortNames_AreTheShortestUniquePrefixesOfAtLeastThreeLetters()
    {
        Assert.Equal(
            ["blu", "cla", "cou", "dis", "hip", "jaz", "met", "pop", "reg", "roc"],
            ClassificationReport.ShortNames(Genres.Names));
        Assert.Equal(["rock", "rocka", "pop"], ClassificationReport.ShortNames(["rock", "rockabilly", "pop"]));
        Assert.Equal(["a", "b"], ClassificationReport.ShortNames(["a", "b"]));
    }
}
