using System.Text;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tests.Fuzz;

namespace CudaGenre.Core.Tests.Models;

/// <summary>The ensemble manifest: what it accepts, and a clear error naming the file and the problem for what it refuses.</summary>
public sealed class EnsembleManifestTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Manifest(string json, string name = "e.ensemble.json")
    {
        var path = _temp.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string Head = """{"format":"cudagenre-ensemble/1","combination":"mean-probability","members":""";

    [Fact]
    public void AValidManifest_ReadsMembersInOrder_WithDefaultAndGivenWeights()
    {
        var path = Manifest(Head + """[{"path":"a.safetensors","weight":2.5},{"path":"sub/b.safetensors"},{"path":"../c.safetensors","weight":0}],"description":"x"}""");
        var manifest = EnsembleManifest.Read(path);
        Assert.Equal(["a.safetensors", "sub/b.safetensors", "../c.safetensors"], manifest.Members.Select(m => m.Path));
        Assert.Equal([2.5, 1, 0], manifest.Weights());
        Assert.Equal(Path.Combine(_temp.Path, "sub", "b.safetensors"), manifest.Members[1].FullPath);
        Assert.Equal(Path.GetFullPath(Path.Combine(_temp.Path, "..", "c.safetensors")), manifest.Members[2].FullPath);
        Assert.Equal("x", manifest.Description);
        Assert.True(EnsembleManifest.IsManifest(path));
    }

    [Fact]
    public void Write_RoundTrips_AndRefusesWhatReadWouldRefuse()
    {
        var path = _temp.File("w.ensemble.json");
        EnsembleManifest.Write(path, [("a.safetensors", 1.5), ("b.safetensors", 0.25)], "two");
        var back = EnsembleManifest.Read(path);
        Assert.Equal([1.5, 0.25], back.Weights());
        Assert.Equal("two", back.Description);
        Assert.Contains("every member's weight is 0", Assert.Throws<ArgumentException>(() => EnsembleManifest.Write(_temp.File("z.json"), [("a", 0.0)])).Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.File("z.json")));
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "[1,2]", "not an object" },
        { "{", "not JSON" },
        { """{"combination":"mean-probability","members":[{"path":"a"}]}""", "it has no 'format'" },
        { """{"format":"cudagenre-ensemble/2","combination":"mean-probability","members":[{"path":"a"}]}""", "format is \"cudagenre-ensemble/2\"" },
        { """{"format":"cudagenre-ensemble/1","members":[{"path":"a"}]}""", "has no 'combination'" },
        { """{"format":"cudagenre-ensemble/1","combination":"max","members":[{"path":"a"}]}""", "the only rule is" },
        { """{"format":"cudagenre-ensemble/1","format":"cudagenre-ensemble/1","combination":"mean-probability","members":[{"path":"a"}]}""", "the field 'format' twice" },
        { Head + """[{"path":"a"}],"weights":[1]}""", "unknown field 'weights'" },
        { Head + """[{"path":"a","wieght":2}]}""", "member 0 has an unknown field 'wieght'" },
        { Head + "[]}", "members is empty" },
        { Head + "{}}", "members is an object, not a list" },
        { Head + "[\"a\"]}", "member 0 is a string" },
        { Head + """[{"weight":1}]}""", "member 0 has no 'path' string" },
        { Head + """[{"path":""}]}""", "is empty" },
        { Head + """[{"path":"a\u0001b"}]}""", "control characters" },
        { Head + """[{"path":"/abs/model.safetensors"}]}""", "is absolute" },
        { Head + """[{"path":"a","weight":"NaN"}]}""", "weight \"NaN\" is not a finite number" },
        { Head + """[{"path":"a","weight":1e400}]}""", "is not a finite number" },
        { Head + """[{"path":"a","weight":-1}]}""", "weight -1 is outside [0, 1000000]" },
        { Head + """[{"path":"a","weight":1e7}]}""", "is outside [0, 1000000]" },
        { Head + """[{"path":"a","weight":0},{"path":"b","weight":0}]}""", "every member's weight is 0" },
        { Head + """[{"path":"a"},{"path":"./a"}]}""", "member 1: path './a' names the same file as member 0" },
        { Head + """[{"path":"e.ensemble.json"}]}""", "is the manifest itself; ensembles do not nest" },
        { Head + "[" + string.Join(",", Enumerable.Range(0, 17).Select(i => $"{{\"path\":\"m{i}\"}}")) + "]}", "17 members, over the limit of 16 (InputLimits.MaxEnsembleMembers)" },
        { Head + """[{"path":"a"}],"description":3}""", "description is a number" },
        { Head + string.Concat(Enumerable.Repeat("[", 20)) + string.Concat(Enumerable.Repeat("]", 20)) + "}", "not JSON" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileManifests_GetAnErrorNamingTheFileAndTheProblem(string json, string problem)
    {
        var path = Manifest(json);
        var e = Assert.Throws<DataFileException>(() => EnsembleManifest.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AHugeManifest_IsRefusedBeforeItIsRead()
    {
        var path = _temp.File("huge.json");
        using (var f = File.Create(path))
            f.SetLength((1 << 20) + 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFileException>(() => EnsembleManifest.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 256 << 10, "the file was read before its size was checked");
        Assert.Contains("1048577 bytes, over the limit of 1048576 (InputLimits.MaxEnsembleManifestBytes)", e.Problem, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<DataFileException>(() => EnsembleManifest.Read(_temp.File("none.json"))).Problem, StringComparison.Ordinal);
    }

    /// <summary>The members themselves: missing, a manifest, not a model, other classes; each named with the manifest.</summary>
    [Fact]
    public void OpenMembers_ChecksEachMemberFile()
    {
        var spec = FuzzSeeds.TinyCnn(ClassifierHead.Linear);
        RandomWeights.WriteModel(_temp.File("a.safetensors"), spec, 1);
        RandomWeights.WriteModel(_temp.File("b.safetensors"), spec with { InputHeight = 20, Mean = [0.5f, 0.5f, 0.5f] }, 2);
        RandomWeights.WriteModel(_temp.File("other.safetensors"), spec with { ClassNames = ["blues", "jazz", "pop"] }, 3);
        File.WriteAllText(_temp.File("text.safetensors"), "not a model at all");
        Manifest(Head + """[{"path":"a.safetensors"}]}""", "inner.ensemble.json");

        var good = EnsembleManifest.Read(Manifest(Head + """[{"path":"a.safetensors"},{"path":"b.safetensors","weight":3}]}"""));
        Assert.Equal([16, 20], good.OpenMembers().Select(f => f.Spec.InputHeight));

        void Refused(string members, string problem)
        {
            var path = Manifest(Head + members + "}", "bad.ensemble.json");
            var e = Assert.Throws<DataFileException>(() => EnsembleManifest.Read(path).OpenMembers());
            Assert.Equal(path, e.FilePath);
            Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        }
        Refused("""[{"path":"a.safetensors"},{"path":"missing.safetensors"}]""", "member 1 'missing.safetensors' does not exist");
        Refused("""[{"path":"inner.ensemble.json"}]""", "member 0 'inner.ensemble.json' is itself an ensemble manifest; ensembles do not nest");
        Refused("""[{"path":"text.safetensors"}]""", "member 0 'text.safetensors' is not a usable model");
        Refused("""[{"path":"a.safetensors"},{"path":"other.safetensors"}]""", "the members' classes differ: member 0 'a.safetensors' has [blues, jazz, rock], member 1 'other.safetensors' has [blues, jazz, pop]");
    }

    [Fact]
    public void IsManifest_TellsJsonFromSafetensors()
    {
        RandomWeights.WriteModel(_temp.File("m.safetensors"), FuzzSeeds.TinyCnn(ClassifierHead.Linear), 1);
        Assert.False(EnsembleManifest.IsManifest(_temp.File("m.safetensors")));
        Assert.False(EnsembleManifest.IsManifest(_temp.File("none")));
        Assert.True(EnsembleManifest.IsManifest(Manifest("\uFEFF \n {}", "bom.json")));
        Assert.False(EnsembleManifest.IsManifest(Manifest("[]", "list.json")));
    }

    /// <summary>
    /// The combination against a direct computation: p = Σ wₘ softmax(zₘ) / Σ wₘ in double, then log; random logits and
    /// weights, a member of weight 0 that must not count, and logits far apart that must stay finite.
    /// </summary>
    [Fact]
    public void Combination_IsTheLogOfTheWeightedMeanProbability()
    {
        var random = new SeededRandom(9);
        const int members = 3, batch = 4, classes = 5;
        var logits = Enumerable.Range(0, members * batch * classes).Select(_ => (float)(6 * random.NextDouble() - 3)).ToArray();
        double[] weights = [0.7, 2.0, 1.3];
        var output = new float[batch * classes];
        EnsembleCombination.Combine(logits, weights, batch, classes, output);
        for (var b = 0; b < batch; b++)
        {
            for (var c = 0; c < classes; c++)
            {
                var p = 0.0;
                for (var m = 0; m < members; m++)
                {
                    var row = logits.AsSpan(m * batch * classes + b * classes, classes).ToArray();
                    p += weights[m] * Math.Exp(row[c]) / row.Sum(v => Math.Exp(v));
                }
                Assert.Equal(Math.Log(p / weights.Sum()), output[b * classes + c], 5);
            }
        }

        // Weight 0: as if the member were not there.
        var withZero = new float[batch * classes];
        EnsembleCombination.Combine(logits, [0.7, 0.0, 1.3], batch, classes, withZero);
        var without = new float[batch * classes];
        EnsembleCombination.Combine([.. logits.AsSpan(0, batch * classes), .. logits.AsSpan(2 * batch * classes)], [0.7, 1.3], batch, classes, without);
        Assert.Equal(without, withZero);

        // One member: its log-softmax. Far-apart logits: finite, and the probabilities still sum to 1.
        var far = new float[] { 3000f, -3000f, 0f };
        var one = new float[3];
        EnsembleCombination.Combine(far, [1.0], 1, 3, one);
        Assert.All(one, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0f, one[0]);
        Assert.Equal(-3000f, one[2]);
        Assert.Equal(1.0, one.Sum(v => Math.Exp(v)), 6);

        Assert.Throws<ArgumentException>(() => EnsembleCombination.Combine(logits, [1.0, 1.0], batch, classes, output));
        Assert.Throws<ArgumentException>(() => EnsembleCombination.Combine(logits, [1.0, double.NaN, 1.0], batch, classes, output));
        Assert.Throws<ArgumentException>(() => EnsembleCombination.Combine(logits, [0.0, 0.0, 0.0], batch, classes, output));
        Assert.Throws<ArgumentException>(() => EnsembleCombination.Combine([float.NaN, 0, 0], [1.0], 1, 3, one));
    }

    [Fact]
    public void Parse_IsTheFuzzEntryPoint_AndNamesWhatItWasGiven()
    {
        var e = Assert.Throws<DataFileException>(() => EnsembleManifest.Parse(Encoding.UTF8.GetBytes("{}"), "fuzz.ensemble.json"));
        Assert.Equal("fuzz.ensemble.json", e.FilePath);
    }
}
