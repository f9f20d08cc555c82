using CudaGenre.Core.Models;
using CudaGenre.Trainer.Models;
using CudaGenre.Trainer.Training;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Tests;

public sealed class TrainingLoopTests
{
    private const int Height = 16, Width = 24;

    private static ModelGraph TinyCnn(ClassifierHead head = ClassifierHead.Linear)
        => ModelGraph.Build(ModelSpec.Default(Architecture.Cnn, head) with { InputHeight = Height, InputWidth = Width, CnnWidths = [8, 16, 16] });

    [Fact]
    public void Training_lowers_the_loss_and_keeps_the_best_epoch()
    {
        var graph = TinyCnn();
        manual_seed(3);
        using var model = new GraphModule(graph);
        var train = TinyData.Make(4, Height, Width, seed: 1);
        var validation = TinyData.Make(2, Height, Width, seed: 2);
        var observer = new RecordingObserver();
        var loop = new TrainingLoop(model, graph.IsHead, new TrainingSettings { Epochs = 6, BatchSize = 8, LearningRate = 3e-3, Seed = 7 }, 10, observer);

        var initialLoss = loop.Evaluate(train).Loss;
        var outcome = loop.Run(train, validation, CancellationToken.None);

        Assert.Equal(6, outcome.Epochs.Count);
        Assert.True(outcome.Epochs[^1].TrainLoss < outcome.Epochs[0].TrainLoss * 0.8, $"loss {outcome.Epochs[0].TrainLoss} → {outcome.Epochs[^1].TrainLoss}");
        Assert.True(loop.Evaluate(train).Loss < initialLoss);
        Assert.Equal(outcome.Epochs.MaxBy(e => e.ValidationBalancedAccuracy)!.ValidationBalancedAccuracy, outcome.Best.ValidationBalancedAccuracy);
        // The model holds the best epoch's weights: evaluating it again gives that epoch's validation figures.
        var again = loop.Evaluate(validation);
        Assert.Equal(outcome.Best.ValidationBalancedAccuracy, again.Matrix.BalancedAccuracy, 12);
        Assert.Equal(outcome.Best.ValidationLoss, again.Loss, 5);
        Assert.False(outcome.Cancelled);
    }

    [Fact]
    public void One_step_on_a_tiny_batch_lowers_its_loss()
    {
        var graph = TinyCnn(ClassifierHead.Dense);
        manual_seed(4);
        using var model = new GraphModule(graph);
        var batch = TinyData.Make(1, Height, Width, seed: 3);
        var loop = new TrainingLoop(model, graph.IsHead, new TrainingSettings { Epochs = 1, BatchSize = 10, LearningRate = 1e-3, Seed = 1 }, 10, new RecordingObserver());
        var before = loop.Evaluate(batch).Loss;
        loop.Run(batch, batch, CancellationToken.None);
        var after = loop.Evaluate(batch).Loss;
        Assert.True(after < before, $"{before} → {after}");
    }

    [Fact]
    public void Two_runs_with_the_same_seed_give_identical_weights_and_another_seed_does_not()
    {
        var a = TrainWeights(seed: 11);
        var b = TrainWeights(seed: 11);
        var c = TrainWeights(seed: 12);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var name in a.Keys)
            Assert.True(a[name].SequenceEqual(b[name]), $"{name} differs between two runs with one seed");
        Assert.Contains(a.Keys, name => !a[name].SequenceEqual(c[name]));
    }

    [Fact]
    public void Ctrl_c_stops_after_the_current_step_and_keeps_a_checkpoint()
    {
        var graph = TinyCnn();
        manual_seed(5);
        using var model = new GraphModule(graph);
        using var cancel = new CancellationTokenSource();
        var observer = new RecordingObserver(cancel, cancelAtBatch: 7);
        var loop = new TrainingLoop(model, graph.IsHead, new TrainingSettings { Epochs = 10, BatchSize = 8, Seed = 1 }, 10, observer);
        var outcome = loop.Run(TinyData.Make(4, Height, Width, 1), TinyData.Make(1, Height, Width, 2), cancel.Token);
        Assert.True(outcome.Cancelled);
        Assert.Equal(7, observer.Steps);
        // 40 samples / 8 = 5 steps per epoch: epoch 1 finished, epoch 2 stopped after its second step and was validated.
        Assert.Equal([1, 2], outcome.Epochs.Select(e => e.Epoch));
        Assert.Contains(observer.Lines, l => l.Contains("Ctrl+C", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cancel_before_the_first_step_leaves_nothing_to_keep()
    {
        var graph = TinyCnn();
        using var model = new GraphModule(graph);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var loop = new TrainingLoop(model, graph.IsHead, new TrainingSettings { Epochs = 2, BatchSize = 8 }, 10, new RecordingObserver());
        Assert.Throws<OperationCanceledException>(() => loop.Run(TinyData.Make(2, Height, Width, 1), TinyData.Make(1, Height, Width, 2), cancel.Token));
    }

    [Fact]
    public void A_frozen_backbone_changes_only_the_head_and_keeps_batchnorm_statistics()
    {
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Dense) with { InputHeight = 32, InputWidth = 32 });
        manual_seed(6);
        using var model = new GraphModule(graph);
        var before = Snapshot(model);
        var data = TinyData.Make(1, 32, 32, 4);
        var loop = new TrainingLoop(model, graph.IsHead, new TrainingSettings { Epochs = 1, BatchSize = 5, FreezeBackbone = true, Seed = 1 }, 10, new RecordingObserver());
        loop.Run(data, data, CancellationToken.None);
        var after = Snapshot(model);
        foreach (var name in before.Keys)
        {
            if (graph.IsHead(name))
                Assert.False(before[name].SequenceEqual(after[name]), $"head tensor {name} did not train");
            else
                Assert.True(before[name].SequenceEqual(after[name]), $"backbone tensor {name} changed");
        }
    }

    [Fact]
    public void Bad_settings_are_refused_with_the_option_name()
    {
        Assert.Contains("--lr", Assert.Throws<ArgumentException>(() => new TrainingSettings { LearningRate = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("--epochs", Assert.Throws<ArgumentException>(() => new TrainingSettings { Epochs = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("--batch-size", Assert.Throws<ArgumentException>(() => new TrainingSettings { BatchSize = 0 }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mixup_and_label_smoothing_train_reproducibly_and_change_the_weights()
    {
        var a = TrainWeights(seed: 11, mixupAlpha: 0.4, labelSmoothing: 0.1);
        var b = TrainWeights(seed: 11, mixupAlpha: 0.4, labelSmoothing: 0.1);
        var plain = TrainWeights(seed: 11);
        var smoothingOnly = TrainWeights(seed: 11, labelSmoothing: 0.1);
        foreach (var name in a.Keys)
        {
            Assert.True(a[name].SequenceEqual(b[name]), $"{name} differs between two mixup runs with one seed");
            Assert.All(a[name], v => Assert.True(double.IsFinite(v)));
        }

        Assert.Contains(a.Keys, name => !a[name].SequenceEqual(plain[name]));
        Assert.Contains(a.Keys, name => !a[name].SequenceEqual(smoothingOnly[name]));
        Assert.Contains(a.Keys, name => !smoothingOnly[name].SequenceEqual(plain[name]));
    }

    private static Dictionary<string, double[]> TrainWeights(ulong seed, double mixupAlpha = 0, double labelSmoothing = 0)
    {
        var graph = TinyCnn(ClassifierHead.Dense);
        manual_seed((long)seed);
        using var model = new GraphModule(graph);
        var settings = new TrainingSettings { Epochs = 2, BatchSize = 8, Seed = seed, Augmentation = CudaGenre.Trainer.Data.Augmentation.Default, MixupAlpha = mixupAlpha, LabelSmoothing = labelSmoothing };
        new TrainingLoop(model, graph.IsHead, settings, 10, new RecordingObserver()).Run(TinyData.Make(3, Height, Width, 1), TinyData.Make(1, Height, Width, 2), CancellationToken.None);
        return Snapshot(model);
    }

    internal static Dictionary<string, double[]> Snapshot(nn.Module model)
        => model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64).flatten().data<double>().ToArray());
}
