using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Tests.Models;

public class ReferenceBundleTests
{
    private static readonly ModelSpec Spec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = 16, InputWidth = 24 };

    private static (float[] Inputs, long[] Labels, float[] Logits) RandomData(int n, ulong seed)
    {
        var random = new SeededRandom(seed);
        var inputs = new float[n * 3 * 16 * 24];
        for (var i = 0; i < inputs.Length; i++)
            inputs[i] = (float)random.Gaussian(0, 1);
        var labels = Enumerable.Range(0, n).Select(_ => (long)random.NextInt(10)).ToArray();
        var logits = new float[n * 10];
        for (var i = 0; i < logits.Length; i++)
            logits[i] = (float)random.Gaussian(0, 3);
        return (inputs, labels, logits);
    }

    [Fact]
    public void WriteThenRead_GivesBackEverything()
    {
        var (inputs, labels, logits) = RandomData(5, 11);
        string[] sources = ["images_original/rock/rock00001.png", "a/b.png", "c.png", "d \"quoted\".png", "é.png"];
        var bundle = new ReferenceBundle(Spec, "test", sources, inputs, labels, logits, modelSha256: new string('a', 64));
        using var temp = new TempFolder();
        var path = temp.File("reference.safetensors");
        bundle.Write(path);

        var read = ReferenceBundle.Read(path);
        Assert.Equal(5, read.Count);
        Assert.Equal(Spec, read.Spec);
        Assert.Equal("test", read.Split);
        Assert.Equal(sources, read.Sources);
        Assert.Equal(new string('a', 64), read.ModelSha256);
        Assert.Equal(inputs, read.Inputs.ToArray());
        Assert.Equal(labels, read.Labels.ToArray());
        Assert.Equal(logits, read.Logits.ToArray());
        Assert.Equal(new TensorShape(5, 3, 16, 24), read.InputShape);
        Assert.Equal(inputs.AsSpan(2 * 3 * 16 * 24, 3 * 16 * 24).ToArray(), read.Input(2).ToArray());
        Assert.Equal(logits[30..40], read.LogitsOf(3).ToArray());

        // The file is plain safetensors with the documented names and metadata.
        var file = SafetensorsFile.Read(path);
        Assert.Equal(["inputs", "labels", "logits"], file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(TensorDType.I64, file.DType("labels"));
        Assert.Equal(ReferenceBundle.FormatTag, file.Metadata["format"]);
        Assert.StartsWith("[\"images_original/rock/rock00001.png\",", file.Metadata["sources"]);

        // Synthetic inputs: no sources, no model hash.
        var synthetic = temp.File("synthetic.safetensors");
        new ReferenceBundle(Spec, "random", [], inputs, labels, logits).Write(synthetic);
        var s = ReferenceBundle.Read(synthetic);
        Assert.Empty(s.Sources);
        Assert.Null(s.ModelSha256);
    }

    [Fact]
    public void Constructor_RefusesInconsistentData()
    {
        var (inputs, labels, logits) = RandomData(3, 5);
        Assert.Contains("are not 3 inputs of 3×16×24", Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", [], inputs[1..], labels, logits)).Message);
        Assert.Contains("are not 3 rows of 10 classes", Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", [], inputs, labels, logits[..20])).Message);
        Assert.Contains("2 source names for 3 inputs", Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", ["a", "b"], inputs, labels, logits)).Message);
        Assert.Contains("Label 10 of input 1", Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", [], inputs, [0, 10, 2], logits)).Message);
        var nan = (float[])logits.Clone();
        nan[14] = float.NaN;
        Assert.Contains("Logit 4 of input 1 is NaN", Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", [], inputs, labels, nan)).Message);
        var inf = (float[])inputs.Clone();
        inf[3 * 16 * 24 + 5] = float.PositiveInfinity;
        Assert.Contains("Input 1 holds Infinity at element 5", Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", [], inf, labels, logits)).Message);
        Assert.Throws<ArgumentException>(() => new ReferenceBundle(Spec, "test", [], [], [], []));
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "format", "format is 'cudagenre-model/1', expected 'cudagenre-reference/1'" },
        { "noformat", "format is missing" },
        { "nosplit", "has no 'split' metadata" },
        { "sources", "the 'sources' metadata is not a JSON list of strings" },
        { "sourcecount", "2 source names for 4 inputs" },
        { "spec", "the 'spec' metadata is unusable" },
        { "extra", "unexpected tensors in a reference bundle: bonus" },
        { "nologits", "has no 'logits' tensor" },
        { "labeldtype", "tensor 'labels' is I32, expected I64" },
        { "n", "tensor 'logits' has shape [3, 10], expected [4, 10]" },
        { "size", "tensor 'inputs' has shape [4, 3, 16, 23], expected [4, 3, 16, 24]" },
        { "classes", "tensor 'logits' has shape [4, 9], expected [4, 10]" },
        { "label", "Label 11 of input 0 is not a class index" },
        { "nan", "is NaN" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Read_RefusesCorruptBundles_NamingTheProblem(string corruption, string problem)
    {
        var (inputs, labels, logits) = RandomData(4, 9);
        var w = new SafetensorsWriter();
        w.Metadata["format"] = corruption == "format" ? ModelFile.FormatTag : ReferenceBundle.FormatTag;
        if (corruption == "noformat")
            w.Metadata.Remove("format");
        if (corruption != "nosplit")
            w.Metadata["split"] = "test";
        w.Metadata["sources"] = corruption switch { "sources" => "{\"a\":1}", "sourcecount" => "[\"a\",\"b\"]", _ => "[]" };
        w.Metadata["spec"] = corruption == "spec" ? "{}" : Spec.ToJson();
        w.Add("inputs", corruption == "size" ? new TensorShape(4, 3, 16, 23) : new TensorShape(4, 3, 16, 24),
            corruption == "size" ? inputs[..(4 * 3 * 16 * 23)] : inputs);
        if (corruption == "labeldtype")
            w.Add("labels", new TensorShape(4), labels.Select(l => (int)l).ToArray());
        else
            w.Add("labels", new TensorShape(4), corruption == "label" ? [11L, .. labels[1..]] : labels);
        if (corruption == "nan")
            logits[7] = float.NaN;
        if (corruption == "n")
            w.Add("logits", new TensorShape(3, 10), logits.AsSpan(0, 30));
        else if (corruption == "classes")
            w.Add("logits", new TensorShape(4, 9), logits.AsSpan(0, 36));
        else if (corruption != "nologits")
            w.Add("logits", new TensorShape(4, 10), logits);
        if (corruption == "extra")
            w.Add("bonus", new TensorShape(1), [1f]);

        using var temp = new TempFolder();
        var path = temp.File($"{corruption}.safetensors");
        w.Save(path);
        var e = Assert.Throws<DataFileException>(() => ReferenceBundle.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Problem);
    }

    [Fact]
    public void Truncated_IsRefused()
    {
        var (inputs, labels, logits) = RandomData(2, 1);
        using var temp = new TempFolder();
        var path = temp.File("r.safetensors");
        new ReferenceBundle(Spec, "test", [], inputs, labels, logits).Write(path);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^1]);
        Assert.Contains("truncated", Assert.Throws<DataFileException>(() => ReferenceBundle.Read(path)).Problem);
    }
}
