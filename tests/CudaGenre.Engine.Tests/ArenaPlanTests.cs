using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Tests;

public class ArenaPlanTests
{
    [Fact]
    public void Chain_NeedsOnlyTwoBuffers()
    {
        // a → b → c → d: each step reads the previous tensor and writes the next.
        var plan = ArenaPlan.Create([(1600, 0, 1), (3200, 1, 2), (1600, 2, 3), (160, 3, 4)]);
        Assert.Equal(1600 + 3200, plan.Length);
        Assert.NotEqual(plan.Offsets[0], plan.Offsets[1]);
        Assert.Equal(plan.Offsets[0], plan.Offsets[2]); // a is dead when c is written
    }

    [Fact]
    public void TensorsLiveAtTheSameTime_NeverOverlap_AndTheArenaIsNotWasteful()
    {
        var random = new SeededRandom(7);
        for (var round = 0; round < 200; round++)
        {
            var count = 1 + random.NextInt(30);
            var tensors = new List<(long, int, int)>();
            for (var i = 0; i < count; i++)
            {
                var first = random.NextInt(40);
                tensors.Add((1 + random.NextInt(5000), first, first + random.NextInt(8)));
            }
            var plan = ArenaPlan.Create(tensors);

            long peakLive = 0;
            for (var step = 0; step < 50; step++)
            {
                peakLive = Math.Max(peakLive, tensors.Where(t => t.Item2 <= step && step <= t.Item3).Sum(t => (t.Item1 + 15) / 16 * 16));
            }
            Assert.InRange(plan.Length, peakLive, 2 * peakLive); // a lower bound no plan can beat; greedy stays near it
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(0, plan.Offsets[i] % ArenaPlan.Alignment);
                for (var j = i + 1; j < count; j++)
                {
                    var liveTogether = tensors[i].Item2 <= tensors[j].Item3 && tensors[j].Item2 <= tensors[i].Item3;
                    var memoryOverlaps = plan.Offsets[i] < plan.Offsets[j] + tensors[j].Item1 && plan.Offsets[j] < plan.Offsets[i] + tensors[i].Item1;
                    Assert.False(liveTogether && memoryOverlaps, $"round {round}: tensors {i} and {j} overlap while both live");
                }
            }
        }
    }

    [Fact]
    public void AFirstStepThatReadsTheNchwInput_KeepsItLive_AndTheNhwcCopyGetsNoRoom()
    {
        var folder = Directory.CreateTempSubdirectory("cudagenre-arena-").FullName;
        try
        {
            var path = Path.Combine(folder, "cnn.safetensors");
            RandomWeights.WriteModel(path, ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputHeight = 24, InputWidth = 32 }, seed: 5);
            var file = ModelFile.Read(path);
            var fused = GraphOptimizer.Optimize(file.Graph, file.Weights.ToSingleArray);
            var shapes = fused.InferShapes(2);
            var first = fused.Steps[0];
            var (plain, _) = ArenaPlan.ForGraph(fused, shapes);
            var (direct, offsets) = ArenaPlan.ForGraph(fused, shapes, readsNchwInput: first);

            // The first step writes its output while it reads the NCHW input: the two must not share memory.
            var input = (Start: offsets[ValueTable.NchwInput.Index], Length: shapes[ModelGraph.InputName].ElementCount);
            var output = (Start: offsets[fused.Values[first.Output].Index], Length: shapes[first.Output].ElementCount);
            Assert.False(input.Start < output.Start + output.Length && output.Start < input.Start + input.Length,
                $"the NCHW input [{input.Start}, +{input.Length}) overlaps the first step's output [{output.Start}, +{output.Length})");
            Assert.True(direct.Length <= plain.Length);

            // Only the input's one reader may read it in place.
            Assert.Throws<ArgumentException>(() => ArenaPlan.ForGraph(fused, shapes, readsNchwInput: fused.Steps[1]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void NegativeLengthOrBackwardLifetime_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => ArenaPlan.Create([(10, 3, 2)]));
        Assert.Throws<ArgumentException>(() => ArenaPlan.Create([(-1, 0, 0)]));
    }
}
