using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Data;
using CudaGenre.Core.Metrics;
using CudaGenre.Core.Models;
using CudaGenre.Synthesis;
using CudaGenre.Core.Tensors;
using CudaGenre.Reports;
using CudaGenre.Trainer.Data;
using CudaGenre.Trainer.Models;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Training;

/// <summary>What a finished run produced.</summary>
/// <param name="Folder">The run folder.</param>
/// <param name="Outcome">Epochs, best epoch, cancel flag.</param>
/// <param name="Test">The best checkpoint's evaluation on the test split.</param>
/// <param name="TestBalancedAccuracy">Test balanced accuracy with its 95 % interval.</param>
internal sealed record RunResult(string Folder, TrainingOutcome Outcome, Evaluation Test, ConfidenceInterval TestBalancedAccuracy);

/// <summary>
/// One <c>train</c> run, end to end: data set and split, model from the graph (optionally from pretrained
/// weights), training, evaluation of the best checkpoint, and every output file in the run folder:
/// <c>config.json</c>, <c>split.json</c>, <c>train.log</c>, <c>metrics.json</c>, <c>curves_loss.png</c>,
/// <c>curves_accuracy.png</c>, <c>confusion_val.png</c>, <c>confusion_test.png</c>,
/// <c>model.safetensors</c>, <c>reference.safetensors</c>.
/// </summary>
internal static class TrainRun
{
    /// <summary>Runs training as configured; Ctrl+C (the token) stops after the current step and still writes every file from the best checkpoint.</summary>
    /// <param name="options">What to train and where to write.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <param name="interactive">Progress bars (true) or plain lines (false); null: bars when the console is a terminal.</param>
    /// <param name="watcher">Also told of every step and epoch (tests use it to cancel at a chosen step).</param>
    /// <param name="resume">Continue the run in <c>options.Output</c> from its checkpoint (the options must be the run's own).</param>
    public static RunResult Execute(RunOptions options, CancellationToken cancellation, bool? interactive = null, ITrainingObserver? watcher = null, bool resume = false)
    {
        var folder = Path.GetFullPath(options.Output);
        var checkpointPath = Path.Combine(folder, Checkpoint.FileName);
        var fingerprint = RunOptionsJson.Fingerprint(options);
        using var checkpoint = resume ? OpenCheckpoint(folder, checkpointPath, fingerprint) : null;
        if (!resume && File.Exists(checkpointPath))
            throw new ArgumentException($"{folder} holds the checkpoint of an earlier run: continue it with `train --resume {folder}`, or choose another --out.");
        Directory.CreateDirectory(folder);
        using var log = new RunLog(Path.Combine(folder, "train.log"), interactive);
        var started = DateTime.UtcNow;
        Torch.Configure(options.Threads);
        log.Log($"{TrainerInfo.Version} — run folder {folder}{(resume ? $" — resuming after epoch {checkpoint!.Epoch}" : "")}");
        log.Log($"libtorch {Torch.Describe()}");

        var (dataset, split) = OpenData(options, log, cancellation);
        if (checkpoint is not null && checkpoint.SplitHash != split.Hash)
            throw new DataFileException(checkpointPath, $"was trained on split {checkpoint.SplitHash[..Math.Min(12, checkpoint.SplitHash.Length)]}…, but the data now splits as {split.ShortHash}…: the data set changed, so the run cannot continue");
        split.Save(Path.Combine(folder, "split.json"));
        var spec = MakeSpec(options, split, log);
        var graph = ModelGraph.Build(spec);
        if (!resume)
            WriteConfig(folder, options, spec, dataset, split, started);

        // Weights (and dropout) are drawn from libtorch's generator: seed it right before the model is built.
        // A resumed run then overwrites weights and generator state from the checkpoint.
        manual_seed(unchecked((long)options.Training.Seed));
        using var model = new GraphModule(graph);
        if (options.Pretrained is not null && !resume)
        {
            var file = SafetensorsFile.Read(options.Pretrained);
            var copied = StateDict.LoadInto(model, graph, file, skipHead: true);
            log.Log($"Started from {options.Pretrained}: {copied} tensors loaded; the classifier head ({graph.HeadModule}) is new.");
        }

        if (options.Training.FreezeBackbone && options.Pretrained is null)
            log.Log("Warning: --freeze-backbone without --pretrained trains a head on random, fixed features.");
        log.Log($"Model {spec.Describe()}: {graph.ParameterCount:N0} parameters; training {(options.Training.FreezeBackbone ? "the head only (backbone frozen)" : "all layers")}.");
        var settings = spec.ToPreprocessSettings();
        var clock = Stopwatch.StartNew();
        var train = SpectrogramSet.Load(dataset, split, SplitPart.Train, settings, keepImages: options.Training.Augmentation.Enabled && options.Training.Augmentation.MinCropFraction < 1, cancellation: cancellation);
        var validation = SpectrogramSet.Load(dataset, split, SplitPart.Validation, settings, false, cancellation: cancellation);
        var test = SpectrogramSet.Load(dataset, split, SplitPart.Test, settings, false, cancellation: cancellation);
        log.Log(string.Create(CultureInfo.InvariantCulture, $"Loaded {train.Count} train, {validation.Count} validation, {test.Count} test images at {settings.Width}×{settings.Height} in {clock.Elapsed.TotalSeconds:0.0} s."));

        var loop = new TrainingLoop(model, graph.IsHead, options.Training, spec.ClassCount, watcher is null ? log : new BothObservers(log, watcher));
        void SaveCheckpoint(Checkpoint c)
        {
            c.OptionsFingerprint = fingerprint;
            c.SplitHash = split.Hash;
            c.Save(checkpointPath);
            WriteProgress(folder, options, c);
        }

        var outcome = log.WithProgress(() => loop.Run(train, validation, cancellation, checkpoint, SaveCheckpoint));
        log.Log(string.Create(CultureInfo.InvariantCulture, $"Best epoch {outcome.Best.Epoch}: validation balanced accuracy {outcome.Best.ValidationBalancedAccuracy:0.000}. Mean training time per epoch {outcome.SecondsPerEpoch:0.0} s."));

        // The model now holds the best checkpoint, in eval mode.
        var val = loop.Evaluate(validation);
        var testEval = loop.Evaluate(test);
        var interval = ConfidenceInterval.BootstrapBalancedAccuracy([.. test.Labels], testEval.Predictions, spec.ClassCount, seed: options.Training.Seed);
        var accuracy = ConfidenceInterval.Wilson(Enumerable.Range(0, test.Count).Count(i => testEval.Predictions[i] == test.Labels[i]), test.Count);
        log.Log(string.Create(CultureInfo.InvariantCulture, $"Test ({test.Count} images): balanced accuracy {interval.Estimate:0.000} (95 % {interval.Lower:0.000}–{interval.Upper:0.000}), accuracy {accuracy.Estimate:0.000} (95 % {accuracy.Lower:0.000}–{accuracy.Upper:0.000})."));

        WriteMetrics(folder, spec, outcome, val, testEval, interval, accuracy);
        var title = $"{spec.Architecture.Name()}/{spec.Head.Name()}";
        TrainingCurvesPlot.SavePanelsPng(outcome.Epochs, Path.Combine(folder, "curves_loss.png"), Path.Combine(folder, "curves_accuracy.png"), title);
        ConfusionMatrixPlot.SavePng(val.Matrix, Path.Combine(folder, "confusion_val.png"), $"{title}, validation (best epoch {outcome.Best.Epoch})");
        ConfusionMatrixPlot.SavePng(testEval.Matrix, Path.Combine(folder, "confusion_test.png"), $"{title}, test");
        Export.WriteModel(Path.Combine(folder, "model.safetensors"), model, spec);
        var reference = Export.WriteReference(Path.Combine(folder, "reference.safetensors"), model, spec, test, options.ReferenceLimit, options.Training.Seed, "test", Path.Combine(folder, "model.safetensors"));
        log.Log($"Wrote model.safetensors and reference.safetensors ({reference} test inputs) to {folder}.");
        if (outcome.Cancelled)
            log.Log("The run was cancelled; every file above comes from the best checkpoint reached before the cancel.");
        return new RunResult(folder, outcome, testEval, interval);
    }

    private static Checkpoint OpenCheckpoint(string folder, string checkpointPath, string fingerprint)
    {
        if (!File.Exists(Path.Combine(folder, "config.json")))
            throw new DataFileException(folder, "not a run folder: it has no config.json");
        if (!File.Exists(checkpointPath))
            throw new DataFileException(folder, $"has no {Checkpoint.FileName}: no epoch of this run finished. Start it again without --resume (same --out).");
        var checkpoint = Checkpoint.Load(checkpointPath);
        if (checkpoint.OptionsFingerprint != fingerprint)
        {
            checkpoint.Dispose();
            throw new DataFileException(checkpointPath, "was written for other options than the ones given now (config.json's options block was edited, or the checkpoint is from another run)");
        }
        return checkpoint;
    }

    /// <summary>progress.json: where an unfinished run stands (the grid summary reads it).</summary>
    private static void WriteProgress(string folder, RunOptions options, Checkpoint c)
    {
        var best = c.Epochs[c.BestEpoch - 1];
        var progress = new JsonObject
        {
            ["format"] = "cudagenre-progress/1",
            ["updated"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["epoch"] = c.Epoch,
            ["epochs"] = options.Training.Epochs,
            ["stoppedEarly"] = c.StoppedEarly,
            ["bestEpoch"] = c.BestEpoch,
            ["bestValidationBalancedAccuracy"] = best.ValidationBalancedAccuracy,
            ["secondsPerEpoch"] = c.TrainSeconds.Count > 0 ? c.TrainSeconds.Average() : null,
            ["curves"] = MetricsJson.ToJson(c.Epochs),
        };
        AtomicFile.WriteText(Path.Combine(folder, "progress.json"), progress.ToJsonString(JsonOptions.Indented));
    }

    private static (GtzanDataset Dataset, SplitManifest Split) OpenData(RunOptions options, RunLog log, CancellationToken cancellation)
    {
        string root;
        if (options.Data is not null)
        {
            root = options.Data;
        }
        else
        {
            root = Path.Combine(options.SynthCache, $"n{options.SynthCountPerGenre}-seed42");
            if (!File.Exists(Path.Combine(root, "README.md")))
            {
                log.Log($"No --data given: generating the built-in synthetic GTZAN ({options.SynthCountPerGenre} clips per genre; NOT real music) into {root} (once; later runs reuse it).");
                SyntheticGtzan.Generate(root, new SyntheticGtzanOptions { CountPerGenre = options.SynthCountPerGenre }, cancellation: cancellation);
            }
            else
            {
                log.Log($"No --data given: using the built-in synthetic GTZAN in {root} (NOT real music).");
            }
        }

        var dataset = GtzanDataset.Open(root, MediaKind.Image, verify: true);
        foreach (var problem in dataset.Problems)
            log.Log($"skipped {problem}");
        log.Log($"Data set {dataset.Root}: {dataset.Items.Count} images, {dataset.Problems.Count} skipped.");
        var duplicates = DuplicateReport.Find(dataset);
        if (duplicates.Groups.Count > 0)
        {
            log.Log($"{duplicates.Groups.Count} group(s) of identical images ({duplicates.RedundantFiles} redundant copies, {duplicates.ConflictingGroups.Count()} with different labels); each group is kept in one part of the split.");
            foreach (var g in duplicates.ConflictingGroups)
                log.Log($"  identical images with different labels, kept together: {string.Join(", ", g.Items.Select(i => i.File))}");
        }
        SplitManifest split;
        if (options.Split is not null)
        {
            split = SplitManifest.Load(options.Split);
            var files = dataset.Items.Select(i => i.File).ToHashSet(StringComparer.Ordinal);
            var missing = split.Entries.FirstOrDefault(e => !files.Contains(e.File));
            if (missing is not null)
                throw new DataFileException(options.Split, $"lists '{missing.File}', which is not a usable image of {dataset.Root}");
            foreach (var g in split.GroupsSplitApart(duplicates))
                log.Log($"Warning: this split puts identical images in different parts: {string.Join(", ", g.Items.Select(i => i.File))}.");
        }
        else
        {
            split = SplitManifest.Create(dataset.Items, duplicates, options.SplitSeed);
        }

        log.Log($"Split {split.ShortHash}: {split.Part(SplitPart.Train).Count()} train / {split.Part(SplitPart.Validation).Count()} validation / {split.Part(SplitPart.Test).Count()} test.");
        return (dataset, split);
    }

    private static ModelSpec MakeSpec(RunOptions options, SplitManifest split, RunLog log)
    {
        var spec = ModelSpec.Default(options.Architecture, options.Head);
        if (options.Pretrained is not null && PretrainedSpec(options.Pretrained) is { } pretrained)
        {
            // The weights were trained on inputs normalized their way: keep it.
            spec = spec with { Mean = pretrained.Mean, Std = pretrained.Std };
            log.Log($"Using the pretrained file's input normalization: mean [{string.Join(", ", spec.Mean)}], std [{string.Join(", ", spec.Std)}].");
        }

        if (options.InputSize is { } size)
            spec = spec with { InputHeight = size.Height, InputWidth = size.Width };
        return spec with { TrainerVersion = TrainerInfo.Version, SplitHash = split.Hash };
    }

    /// <summary>The spec in a pretrained file's metadata, if it has ours.</summary>
    private static ModelSpec? PretrainedSpec(string path)
    {
        var file = SafetensorsFile.Read(path);
        return file.Metadata.TryGetValue(Export.SpecKey, out var json) ? ModelSpec.FromJson(json) : null;
    }

    private static void WriteConfig(string folder, RunOptions options, ModelSpec spec, GtzanDataset dataset, SplitManifest split, DateTime started)
    {
        var t = options.Training;
        var config = new JsonObject
        {
            ["format"] = "cudagenre-train-config/1",
            ["trainer"] = TrainerInfo.Version,
            ["started"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["commandLine"] = Environment.CommandLine,
            ["data"] = dataset.Root,
            ["synthetic"] = options.Data is null,
            ["split"] = new JsonObject { ["hash"] = split.Hash, ["seed"] = split.Seed, ["file"] = options.Split },
            ["architecture"] = spec.Architecture.Name(),
            ["head"] = spec.Head.Name(),
            ["inputHeight"] = spec.InputHeight,
            ["inputWidth"] = spec.InputWidth,
            ["epochs"] = t.Epochs,
            ["batchSize"] = t.BatchSize,
            ["learningRate"] = t.LearningRate,
            ["weightDecay"] = t.WeightDecay,
            ["seed"] = t.Seed,
            ["patience"] = t.Patience,
            ["earlyStopping"] = t.Patience > 0 ? $"on validation balanced accuracy, patience {t.Patience} epochs" : "none",
            ["lrSchedule"] = t.ScheduleName,
            ["lrStepEpochs"] = t.Schedule == LearningRateSchedule.Step ? t.StepEpochs : null,
            ["lrStepGamma"] = t.Schedule == LearningRateSchedule.Step ? t.StepGamma : null,
            ["freezeBackbone"] = t.FreezeBackbone,
            ["labelSmoothing"] = t.LabelSmoothing,
            ["mixupAlpha"] = t.MixupAlpha,
            ["augmentation"] = JsonSerializer.SerializeToNode(new
            {
                enabled = t.Augmentation.Enabled,
                minCropFraction = t.Augmentation.MinCropFraction,
                timeMasks = t.Augmentation.TimeMasks,
                maxTimeMaskFraction = t.Augmentation.MaxTimeMaskFraction,
                frequencyMasks = t.Augmentation.FrequencyMasks,
                maxFrequencyMaskFraction = t.Augmentation.MaxFrequencyMaskFraction,
            }),
            ["pretrained"] = options.Pretrained,
            ["threads"] = Torch.Threads,
            ["cores"] = Environment.ProcessorCount,
            ["referenceLimit"] = options.ReferenceLimit,
            ["spec"] = JsonNode.Parse(spec.ToJson()),
            // What `train --resume` rebuilds the run from (its hash is in every checkpoint).
            ["options"] = RunOptionsJson.ToJson(options),
        };
        AtomicFile.WriteText(Path.Combine(folder, "config.json"), config.ToJsonString(JsonOptions.Indented));
    }

    private static void WriteMetrics(string folder, ModelSpec spec, TrainingOutcome outcome, Evaluation validation, Evaluation test, ConfidenceInterval balanced, ConfidenceInterval accuracy)
    {
        var epochs = MetricsJson.ToJson(outcome.Epochs);

        var testNode = JsonNode.Parse(ClassificationReport.From(test.Matrix).ToJson())!.AsObject();
        testNode["loss"] = test.Loss;
        testNode["balancedAccuracy95"] = Interval(balanced);
        testNode["accuracy95"] = Interval(accuracy);
        var valNode = JsonNode.Parse(ClassificationReport.From(validation.Matrix).ToJson())!.AsObject();
        valNode["loss"] = validation.Loss;
        var metrics = new JsonObject
        {
            ["format"] = "cudagenre-metrics/1",
            ["model"] = spec.Describe(),
            ["epochs"] = epochs,
            ["bestEpoch"] = outcome.Best.Epoch,
            ["epochsRun"] = outcome.Epochs.Count,
            ["cancelled"] = outcome.Cancelled,
            ["stoppedEarly"] = outcome.StoppedEarly,
            ["secondsPerEpoch"] = double.IsFinite(outcome.SecondsPerEpoch) ? outcome.SecondsPerEpoch : null,
            ["validation"] = valNode,
            ["test"] = testNode,
        };
        AtomicFile.WriteText(Path.Combine(folder, "metrics.json"), metrics.ToJsonString(JsonOptions.Indented));
    }

    /// <summary>A confidence interval as metrics.json writes it (single runs and ensembles).</summary>
    internal static JsonObject Interval(ConfidenceInterval c) => new()
    {
        ["estimate"] = c.Estimate,
        ["lower"] = c.Lower,
        ["upper"] = c.Upper,
        ["method"] = c.Method,
    };

    private sealed class BothObservers(ITrainingObserver first, ITrainingObserver second) : ITrainingObserver
    {
        public void EpochStarted(int epoch, int batches)
        {
            first.EpochStarted(epoch, batches);
            second.EpochStarted(epoch, batches);
        }

        public void BatchFinished(int epoch, int batch, double runningLoss, double runningAccuracy)
        {
            first.BatchFinished(epoch, batch, runningLoss, runningAccuracy);
            second.BatchFinished(epoch, batch, runningLoss, runningAccuracy);
        }

        public void EpochFinished(EpochMetrics metrics, bool isBest, TimeSpan trainTime, TimeSpan validationTime)
        {
            first.EpochFinished(metrics, isBest, trainTime, validationTime);
            second.EpochFinished(metrics, isBest, trainTime, validationTime);
        }

        public void Log(string message)
        {
            first.Log(message);
            second.Log(message);
        }
    }
}
