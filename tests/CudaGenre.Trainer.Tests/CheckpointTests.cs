using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Trainer.Cli;
using CudaGenre.Trainer.Models;
using CudaGenre.Trainer.Training;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Tests;

/// <summary>Checkpoints, <c>--resume</c>, the learning-rate schedules and the grid list and summary.</summary>
public sealed class CheckpointTests : IClassFixture<TrainRunTests.TinySynth>
{
    private readonly TrainRunTests.TinySynth _data;

    public CheckpointTests(TrainRunTests.TinySynth data) => _data = data;

    [Fact]
    public void Two_epochs_then_resume_equals_four_straight_epochs_exactly()
    {
        using var temp = new TempFolder();
        // Dropout (dense head), augmentation and a cosine schedule: the checkpoint must carry the weights,
        // Adam's moments, libtorch's generator and the epoch for the losses to agree to the last bit.
        var straight = TrainRun.Execute(Options(temp.File("straight")), CancellationToken.None, interactive: false);

        using var cancel = new CancellationTokenSource();
        // 10 training images, batch 4: 3 steps per epoch. Stop in the first step of epoch 3: that partial
        // epoch is not in the checkpoint (written after epoch 2), so the resumed run redoes it from the start.
        var stopped = TrainRun.Execute(Options(temp.File("resumed")), cancel.Token, interactive: false, new RecordingObserver(cancel, cancelAtBatch: 7));
        Assert.True(stopped.Outcome.Cancelled);
        Assert.Equal(3, stopped.Outcome.Epochs.Count);
        using (var c = Checkpoint.Load(Path.Combine(stopped.Folder, Checkpoint.FileName)))
            Assert.Equal(2, c.Epoch);

        var resumed = TrainRun.Execute(Options(temp.File("resumed")), CancellationToken.None, interactive: false, resume: true);

        Assert.Equal(4, straight.Outcome.Epochs.Count);
        Assert.Equal(straight.Outcome.Epochs, resumed.Outcome.Epochs); // every loss and accuracy, exactly
        Assert.Equal(straight.Outcome.Best, resumed.Outcome.Best);
        Assert.Equal(straight.Test.Logits, resumed.Test.Logits);
        Assert.False(resumed.Outcome.Cancelled);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(straight.Folder, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.Folder, "model.safetensors")));
        Assert.Contains("resuming after epoch 2", File.ReadAllText(Path.Combine(resumed.Folder, "train.log")), StringComparison.Ordinal);
        var progress = JsonNode.Parse(File.ReadAllText(Path.Combine(resumed.Folder, "progress.json")))!;
        Assert.Equal(4, (int)progress["epoch"]!);
    }

    [Fact]
    public void Resume_refuses_a_folder_that_is_not_a_run_a_damaged_checkpoint_and_other_options()
    {
        using var temp = new TempFolder();
        var empty = temp.File("empty");
        Directory.CreateDirectory(empty);
        var e1 = Assert.Throws<DataFileException>(() => TrainRun.Execute(Options(empty) with { Training = Settings(epochs: 1) }, CancellationToken.None, interactive: false, resume: true));
        Assert.Contains("not a run folder", e1.Message, StringComparison.Ordinal);

        var run = temp.File("run");
        TrainRun.Execute(Options(run) with { Training = Settings(epochs: 1) }, CancellationToken.None, interactive: false);
        var path = Path.Combine(run, Checkpoint.FileName);

        // Other options than the run's (here the learning rate) are refused, naming the problem.
        var e2 = Assert.Throws<DataFileException>(() => TrainRun.Execute(Options(run) with { Training = Settings(epochs: 1) with { LearningRate = 0.5 } }, CancellationToken.None, interactive: false, resume: true));
        Assert.Contains("other options", e2.Message, StringComparison.Ordinal);
        // So is starting a new run over the checkpoint of an old one.
        Assert.Throws<ArgumentException>(() => TrainRun.Execute(Options(run) with { Training = Settings(epochs: 1) }, CancellationToken.None, interactive: false));

        var good = File.ReadAllBytes(path);
        var flipped = (byte[])good.Clone();
        flipped[^100] ^= 0x10;
        File.WriteAllBytes(path, flipped);
        var e3 = Assert.Throws<DataFileException>(() => Checkpoint.Load(path));
        Assert.Contains("SHA-256", e3.Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, good[..(good.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<DataFileException>(() => Checkpoint.Load(path)).Message, StringComparison.Ordinal);
        File.WriteAllText(path, "{}");
        Assert.Contains("not a CudaGenre checkpoint", Assert.Throws<DataFileException>(() => Checkpoint.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cli_resumes_from_the_folder_alone_and_refuses_a_mismatching_command_line()
    {
        using var temp = new TempFolder();
        var run = temp.File("run");
        string[] common = ["--data", _data.Root, "--arch", "cnn", "--head", "dense", "--input-size", "24x32", "--batch-size", "4", "--seed", "5", "--threads", "2"];
        Assert.Equal(0, Invoke([.. common, "--epochs", "1", "--out", run]));
        Assert.Equal(1, Invoke([.. common, "--epochs", "1", "--lr", "0.01", "--resume", run])); // config mismatch
        Assert.Equal(1, Invoke(["--resume", temp.File("nowhere")]));
        Assert.Equal(0, Invoke(["--resume", run])); // nothing left to train: evaluates and writes the files again
        Assert.Equal(0, Invoke([.. common, "--epochs", "1", "--resume", run]));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        Assert.Equal("constant", (string)config["lrSchedule"]!);
        Assert.Equal("cosine", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(RunWith(temp, common, "--lr-schedule", "cosine"), "config.json")))!["lrSchedule"]!);
    }

    [Fact]
    public void Learning_rate_schedules_follow_the_closed_forms()
    {
        // Cosine as PyTorch's CosineAnnealingLR(T_max = 4, eta_min = 0): lr · (1 + cos(π t / 4)) / 2, t = 0…3.
        var cosine = new TrainingSettings { Epochs = 4, LearningRate = 1, Schedule = LearningRateSchedule.Cosine };
        double[] expected = [1.0, 0.8535533905932737, 0.5, 0.14644660940672627];
        for (var e = 1; e <= 4; e++)
            Assert.Equal(expected[e - 1], cosine.LearningRateAt(e), 12);
        var step = new TrainingSettings { Epochs = 6, LearningRate = 1e-3, Schedule = LearningRateSchedule.Step, StepEpochs = 2, StepGamma = 0.5 };
        Assert.Equal([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4], Enumerable.Range(1, 6).Select(e => Math.Round(step.LearningRateAt(e), 15)));
        Assert.Equal(1e-3, new TrainingSettings().LearningRateAt(30));
        Assert.Throws<ArgumentException>(() => (step with { StepGamma = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => TrainingSettings.ParseSchedule("linear"));
    }

    [Fact]
    public void The_optimizer_uses_the_scheduled_rate()
    {
        // A step schedule that multiplies the rate by 1e-12 after epoch 1: epoch 2 must then barely move the
        // weights (an Adam step is about lr in size), while at a constant rate it moves them clearly. The
        // checkpoints hold the weights after each epoch (not the best epoch's).
        static double Change(TrainingSettings settings)
        {
            var graph = ModelGraph.Build(ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputHeight = 16, InputWidth = 24, CnnWidths = [8, 16, 16] });
            manual_seed(3);
            using var model = new GraphModule(graph);
            var train = TinyData.Make(2, 16, 24, seed: 1);
            var weights = new List<float[]>();
            new TrainingLoop(model, graph.IsHead, settings, 10, new RecordingObserver()).Run(
                train, train, CancellationToken.None, saveCheckpoint: c => weights.Add(c.Model["classifier.weight"].data<float>().ToArray()));
            Assert.Equal(2, weights.Count);
            return weights[0].Zip(weights[1]).Max(p => Math.Abs(p.First - p.Second));
        }

        var constant = new TrainingSettings { Epochs = 2, BatchSize = 5, LearningRate = 1e-2, Seed = 1 };
        Assert.True(Change(constant) > 1e-3, "a constant rate moves the weights");
        Assert.True(Change(constant with { Schedule = LearningRateSchedule.Step, StepEpochs = 1, StepGamma = 1e-12 }) < 1e-7, "a rate of 1e-14 barely moves them");
    }

    [Fact]
    public void A_checkpoint_round_trips_every_tensor_and_byte()
    {
        using var temp = new TempFolder();
        var path = temp.File("c.bin");
        using var w = rand(3, 4);
        using var n = tensor(7L);
        using var b = tensor(new byte[] { 1, 2, 255 });
        var original = new Checkpoint
        {
            OptionsFingerprint = "f", SplitHash = "s", Epoch = 1, BestEpoch = 1, StoppedEarly = true, TrainSeconds = [1.5],
            Epochs = [new CudaGenre.Core.Metrics.EpochMetrics(1, 2.25, 2.5, 0.1, 0.2, 0.3)],
            Model = new Dictionary<string, TorchSharp.torch.Tensor> { ["w"] = w, ["n"] = n, ["b"] = b },
            Best = new BorrowedState(new Dictionary<string, TorchSharp.torch.Tensor> { ["w"] = w }),
            Optimizer = [9, 8, 7], RandomState = [4, 5],
        };
        original.Save(path);
        using var back = Checkpoint.Load(path);
        Assert.Equal(w.data<float>().ToArray(), back.Model["w"].data<float>().ToArray());
        Assert.Equal([3L, 4L], back.Model["w"].shape);
        Assert.Empty(back.Model["n"].shape);
        Assert.Equal(7L, back.Model["n"].item<long>());
        Assert.Equal([1, 2, 255], back.Model["b"].data<byte>().ToArray());
        Assert.Equal(original.Epochs, back.Epochs);
        Assert.Equal((byte[])[9, 8, 7], back.Optimizer);
        Assert.Equal((byte[])[4, 5], back.RandomState);
        Assert.True(back.StoppedEarly);
    }

    [Fact]
    public void Grid_list_and_summary_show_finished_unfinished_and_missing_runs()
    {
        using var temp = new TempFolder();
        var list = temp.File("grid.txt");
        File.WriteAllText(list, "# comment\n\ndone-run --arch cnn  # tail comment\nhalf-run --arch cnn\nnever-run --arch resnet50 --lr 1e-4\n");
        var entries = GridList.Read(list);
        Assert.Equal(["done-run", "half-run", "never-run"], entries.Select(e => e.Name));
        Assert.Equal(["--arch", "resnet50", "--lr", "1e-4"], entries[2].Arguments);

        var runs = temp.File("runs");
        TrainRun.Execute(Options(Path.Combine(runs, "done-run")) with { Training = Settings(epochs: 1) }, CancellationToken.None, interactive: false);
        using var cancel = new CancellationTokenSource();
        TrainRun.Execute(Options(Path.Combine(runs, "half-run")), cancel.Token, interactive: false, new RecordingObserver(cancel, cancelAtBatch: 4));
        var table = GridSummaryCommand.Summarize(entries, runs);
        var lines = table.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("| `done-run` | cnn/dense | scratch | 0.001 (cosine) | 24×32 | done | 1/1 |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| `half-run` |", StringComparison.Ordinal) && l.Contains("cancelled, resumable", StringComparison.Ordinal) && l.Contains("| 1/4 |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| `never-run` | | | | | not started", StringComparison.Ordinal));
        // The study's figure for the CNN (51 %) closes the CNN rows; every row has the same number of cells as the header.
        Assert.Contains(lines, l => l.StartsWith("| `done-run` |", StringComparison.Ordinal) && l.EndsWith("| 0.51 |", StringComparison.Ordinal));
        var header = lines.First(l => l.StartsWith("| run |", StringComparison.Ordinal)).Count(c => c == '|');
        Assert.All(lines.Where(l => l.StartsWith("| `", StringComparison.Ordinal)), l => Assert.Equal(header, l.Count(c => c == '|')));

        File.WriteAllText(list, "a --x\na --y\n");
        Assert.Contains("used twice", Assert.Throws<DataFileException>(() => GridList.Read(list)).Message, StringComparison.Ordinal);
    }

    private static int Invoke(string[] args) => TrainerApp.Create().Parse(["train", .. args]).Invoke();

    private static string RunWith(TempFolder temp, string[] common, params string[] extra)
    {
        var run = temp.File("run-" + string.Join("-", extra).Replace("--", "", StringComparison.Ordinal));
        Assert.Equal(0, Invoke([.. common, "--epochs", "1", .. extra, "--out", run]));
        return run;
    }

    private static TrainingSettings Settings(int epochs) => new()
    {
        Epochs = epochs,
        BatchSize = 4,
        Seed = 5,
        LearningRate = 1e-3,
        Schedule = LearningRateSchedule.Cosine,
        Augmentation = CudaGenre.Trainer.Data.Augmentation.Default,
    };

    private RunOptions Options(string output) => _data.Options(output, Settings(epochs: 4)) with { ReferenceLimit = 64 };
}
