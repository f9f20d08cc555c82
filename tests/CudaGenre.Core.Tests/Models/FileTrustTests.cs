using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Tests.Models;

/// <summary>Issue #15: what a model or reference file says is checked before it is trusted.</summary>
public class FileTrustTests
{
    [Theory]
    [InlineData("inputHieght")]
    [InlineData("classnames")]
    [InlineData("dropout")]
    public void ASpecFieldThatIsNotKnown_IsAnError_NotASilentDefault(string field)
    {
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with { InputHeight = 40, InputWidth = 56 };
        var json = spec.ToJson();
        var misspelled = json.Insert(json.LastIndexOf('}'), $",\"{field}\":7");

        var e = Assert.Throws<ArgumentException>(() => ModelSpec.FromJson(misspelled));

        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.Equal(spec, ModelSpec.FromJson(json));
    }

    private static ReferenceBundle RandomBundle(ModelSpec spec, ulong seed, string? sha)
    {
        var random = new SeededRandom(seed);
        var inputs = new float[2 * spec.InputChannels * spec.InputHeight * spec.InputWidth];
        for (var i = 0; i < inputs.Length; i++)
            inputs[i] = (float)random.NextGaussian();
        var logits = new float[2 * spec.ClassCount];
        for (var i = 0; i < logits.Length; i++)
            logits[i] = (float)random.NextGaussian();
        return new ReferenceBundle(spec, "test", [], inputs, [1, 3], logits, sha);
    }

    [Fact]
    public void AReferenceBundle_OfAnotherModelFile_OrSpec_IsRefused_SayingWhatDiffers()
    {
        using var temp = new TempFolder();
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputHeight = 16, InputWidth = 24 };
        var model = temp.File("model.safetensors");
        RandomWeights.WriteModel(model, spec, 31);
        var other = temp.File("other.safetensors");
        RandomWeights.WriteModel(other, spec, 32);
        var sha = ModelFile.ComputeSha256(model);

        RandomBundle(spec, 1, sha).CheckBelongsTo("ref", model, spec);
        RandomBundle(spec, 2, null).CheckBelongsTo("ref", model, spec); // no hash recorded: the spec is still checked
        var hash = Assert.Throws<DataFileException>(() => RandomBundle(spec, 3, sha).CheckBelongsTo("ref", other, spec));
        Assert.Contains($"was made from another model file: its model_sha256 is {sha}", hash.Message, StringComparison.Ordinal);

        var mean = Assert.Throws<DataFileException>(() => RandomBundle(spec with { Mean = [0.5f, 0.5f, 0.5f] }, 4, null).CheckBelongsTo("ref", model, spec));
        Assert.Contains("normalized with mean [0.5, 0.5, 0.5]", mean.Message, StringComparison.Ordinal);
        var std = Assert.Throws<DataFileException>(() => RandomBundle(spec with { Std = [0.25f, 0.5f, 0.25f] }, 5, null).CheckBelongsTo("ref", model, spec));
        Assert.Contains("std [0.25, 0.5, 0.25]", std.Message, StringComparison.Ordinal);
        var names = Enumerable.Range(0, 10).Select(i => $"class{i}").ToArray();
        var classes = Assert.Throws<DataFileException>(() => RandomBundle(spec with { ClassNames = names }, 6, null).CheckBelongsTo("ref", model, spec));
        Assert.Contains("its classes are [class0", classes.Message, StringComparison.Ordinal);
        var arch = Assert.Throws<DataFileException>(() => RandomBundle(spec with { Head = ClassifierHead.Dense }, 7, null).CheckBelongsTo("ref", model, spec));
        Assert.Contains("its architecture is", arch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASafetensorsFileLongerThanItsHeaderSays_IsRefused_WithoutReadingItWhole()
    {
        using var temp = new TempFolder();
        var path = temp.File("long.safetensors");
        var values = new float[64];
        var random = new SeededRandom(40);
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)random.NextGaussian();
        new SafetensorsWriter().Add("w", new TensorShape(8, 8), values).Save(path);
        var real = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            stream.SetLength(Array.MaxLength - 1L); // just under 2 GB, sparse: no disk is written
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DataFileException>(() => SafetensorsFile.Read(path));

        Assert.Contains($"{Array.MaxLength - 1L - real} bytes after the last tensor belong to no tensor", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the file was read whole before its header was checked");
    }
}
