using System.CommandLine;
using System.Globalization;
using CudaGenre.Core.Models;
using CudaGenre.Trainer.Data;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Trainer.Cli;

/// <summary>The <c>cudagenre-train</c> command tree.</summary>
internal static class TrainerApp
{
    public static RootCommand Create()
    {
        var root = new RootCommand("""
            cudagenre-train: trains genre classifiers (cnn, resnet18, resnet50, xception) on GTZAN-style
            spectrogram images with TorchSharp (CPU) and exports model.safetensors + reference.safetensors
            for the CudaGenre engine.
            """);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(CreateTrain());
        root.Subcommands.Add(ExportRandomCommand.Create());
        root.Subcommands.Add(ConvertResNet18Command.Create());
        root.Subcommands.Add(GridSummaryCommand.Create());
        root.Subcommands.Add(EnsembleCommand.Create());
        return root;
    }

    private static Command CreateTrain()
    {
        var data = new Option<string?>("--data", "-d") { Description = "GTZAN-layout data set (images_original/<genre>/*.png, or the genre folders). Default: the built-in synthetic data set, generated once into the cache folder (--synth-cache) and reused." };
        var synthCache = new Option<string>("--synth-cache") { Description = "Where the built-in synthetic data set is kept when --data is not given.", DefaultValueFactory = _ => RunOptions.DefaultSynthCache };
        var synthCount = new Option<int>("--synth-count") { Description = "Clips per genre of the built-in synthetic data set (when --data is not given).", DefaultValueFactory = _ => 100 };
        var split = new Option<string?>("--manifest") { Description = "Use this split manifest (split.json, from `cudagenre data split`) instead of a fresh 80/10/10 split." };
        // The old name, as `cudagenre evaluate` has always called it --manifest; still accepted, not shown.
        var oldSplit = new Option<string?>("--split") { Hidden = true, Description = "Old name of --manifest." };
        var splitSeed = new Option<ulong>("--split-seed") { Description = "Seed of the fresh stratified 80/10/10 split.", DefaultValueFactory = _ => 42 };
        var arch = new Option<string>("--arch", "-a") { Description = $"Architecture: {ArchitectureNames.AllArchitectures}.", DefaultValueFactory = _ => "cnn" };
        var head = new Option<string>("--head") { Description = $"Classifier head: linear (one Linear layer) or dense (Linear→ReLU→Dropout→Linear, 512 units).", DefaultValueFactory = _ => "linear" };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate (the seed study used 1e-3 and 1e-4).", DefaultValueFactory = _ => 1e-3 };
        var epochs = new Option<int>("--epochs", "-e") { Description = "Epochs.", DefaultValueFactory = _ => 30 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Batch size.", DefaultValueFactory = _ => 16 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for weights, dropout, data order and augmentation.", DefaultValueFactory = _ => 42 };
        var inputSize = new Option<string?>("--input-size") { Description = "Model input HEIGHTxWIDTH (or one number). Default: the architecture's (cnn 144x216, resnet 224, xception 299)." };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Adam weight decay (L2).", DefaultValueFactory = _ => 0 };
        var augment = new Option<bool>("--augment") { Description = "Augment training images: random time crop (80-100 % of the width), 2 time and 2 frequency masks (each up to 10 %)." };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing ε of the training loss, in [0, 1): the target is (1 − ε)·one-hot + ε/10.", DefaultValueFactory = _ => 0 };
        var mixup = new Option<double>("--mixup") { Description = "Mixup α: each training batch is mixed with a shuffled copy of itself by λ ~ Beta(α, α), and the loss weighted alike (0 = off; 0.2-0.4 is usual).", DefaultValueFactory = _ => 0 };
        var freeze = new Option<bool>("--freeze-backbone") { Description = "Train only the classifier head (backbone weights and BatchNorm statistics fixed). Use with --pretrained." };
        var pretrained = new Option<string?>("--pretrained") { Description = "Start from these weights (safetensors, torchvision/timm names, e.g. resnet18_imagenet.safetensors from convert-resnet18); the classifier is replaced." };
        var patience = new Option<int>("--patience") { Description = "Early stopping: stop when validation balanced accuracy has not improved for this many epochs (0 = never).", DefaultValueFactory = _ => 0 };
        var schedule = new Option<string>("--lr-schedule") { Description = "Learning-rate schedule, per epoch: constant, cosine (to 0 at the last epoch) or step (× --lr-step-gamma every --lr-step-epochs).", DefaultValueFactory = _ => "constant" };
        var stepEpochs = new Option<int>("--lr-step-epochs") { Description = "Step schedule: epochs between decays.", DefaultValueFactory = _ => 10 };
        var stepGamma = new Option<double>("--lr-step-gamma") { Description = "Step schedule: factor at each decay.", DefaultValueFactory = _ => 0.1 };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its checkpoint (written after every epoch), exactly as if it had not stopped. Give only --resume RUN (and optionally --threads), or the run's full original command line, which is then checked against the run's config.json." };
        var output = new Option<string?>("--out", "-o") { Description = "Run folder. Default: runs/<arch>-<head>-<UTC time>." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (torch.set_num_threads); 0 = one per core.", DefaultValueFactory = _ => 0 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the options and print what would be trained, without reading data or training (trainer-grid.sh checks its whole list this way before the first run)." };
        var referenceLimit = new Option<int>("--reference-limit") { Description = "Most test inputs stored in reference.safetensors (all if fewer; else a seeded subset; at least 64).", DefaultValueFactory = _ => 256 };
        var command = new Command("train", """
            Train a model and write a run folder: config.json, split.json, train.log, metrics.json,
            curves_loss.png, curves_accuracy.png, confusion_val.png, confusion_test.png,
            model.safetensors (best epoch) and reference.safetensors. Ctrl+C stops after the current step
            and still writes everything from the best checkpoint so far.
            """)
        {
            data, synthCache, synthCount, split, oldSplit, splitSeed, arch, head, lr, epochs, batch, seed, inputSize, weightDecay, augment, smoothing, mixup, freeze, pretrained, patience, schedule, stepEpochs, stepGamma, resume, output, threads, referenceLimit, dryRun,
        };
        // The options that say what a run computes (everything but --resume, --out and --threads).
        Option[] runDefining = [data, synthCache, synthCount, split, oldSplit, splitSeed, arch, head, lr, epochs, batch, seed, inputSize, weightDecay, augment, smoothing, mixup, freeze, pretrained, patience, schedule, stepEpochs, stepGamma, referenceLimit];
        command.SetAction(parse => CommandRunner.Run(token =>
        {
            var architecture = ParseArchitecture(parse.GetValue(arch)!);
            var classifier = ParseHead(parse.GetValue(head)!);
            var size = parse.GetValue(inputSize) is { } text ? CommandRunner.ParseInputSize(text) : ((int, int)?)null;
            var resumeDir = parse.GetValue(resume);
            if (resumeDir is not null && parse.GetValue(output) is { } o && Path.GetFullPath(o) != Path.GetFullPath(resumeDir))
                throw new ArgumentException($"--out {o} and --resume {resumeDir} name different folders; --resume continues the run in its own folder.");
            if (resumeDir is not null && !runDefining.Any(opt => parse.GetResult(opt) is { Implicit: false }))
            {
                // Only the folder: everything comes from its config.json.
                var stored = RunOptionsJson.Read(Path.GetFullPath(resumeDir), parse.GetValue(threads));
                stored.Training.Validate();
                TrainRun.Execute(stored, token, resume: true);
                return 0;
            }

            var outDir = resumeDir ?? parse.GetValue(output)
                ?? Path.Combine("runs", $"{architecture.Name()}-{classifier.Name()}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
            var options = new RunOptions
            {
                Data = parse.GetValue(data),
                SynthCache = parse.GetValue(synthCache)!,
                SynthCountPerGenre = parse.GetValue(synthCount) is var n && n >= 3 ? n : throw new ArgumentException($"--synth-count must be at least 3 (one clip per split part), got {n}."),
                Split = (parse.GetValue(split), parse.GetValue(oldSplit)) switch
                {
                    ({ } both, { }) => throw new ArgumentException($"--split is the old name of --manifest: give one of them (got --manifest {both})."),
                    var (manifest, old) => manifest ?? old,
                },
                SplitSeed = parse.GetValue(splitSeed),
                Architecture = architecture,
                Head = classifier,
                InputSize = size,
                Pretrained = parse.GetValue(pretrained),
                Output = outDir,
                Threads = parse.GetValue(threads),
                ReferenceLimit = parse.GetValue(referenceLimit),
                Training = new TrainingSettings
                {
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr),
                    WeightDecay = parse.GetValue(weightDecay),
                    Seed = parse.GetValue(seed),
                    FreezeBackbone = parse.GetValue(freeze),
                    Augmentation = parse.GetValue(augment) ? Augmentation.Default : Augmentation.None,
                    LabelSmoothing = parse.GetValue(smoothing),
                    MixupAlpha = parse.GetValue(mixup),
                    Patience = parse.GetValue(patience),
                    Schedule = TrainingSettings.ParseSchedule(parse.GetValue(schedule)!),
                    StepEpochs = parse.GetValue(stepEpochs),
                    StepGamma = parse.GetValue(stepGamma),
                },
            };
            options.Training.Validate();
            if (parse.GetValue(dryRun))
            {
                var t = options.Training;
                var input = size is var (h, w) ? $"{h}x{w}" : "default input size";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"ok: {architecture.Name()}/{classifier.Name()}, {input}, lr {t.LearningRate:G3} ({t.Schedule.ToString().ToLowerInvariant()}), {t.Epochs} epochs, patience {t.Patience}{(options.Pretrained is { } p ? $", from {p}" : "")} -> {Path.GetFullPath(outDir)}"));
                return 0;
            }
            if (resumeDir is not null)
            {
                // A full command line with --resume (what the grid runner gives): it must be the run's own.
                var stored = RunOptionsJson.Read(Path.GetFullPath(resumeDir), options.Threads);
                var differences = RunOptionsJson.Differences(RunOptionsJson.ToJson(stored), RunOptionsJson.ToJson(options));
                if (differences.Count > 0)
                    throw new ArgumentException($"The command line does not match the run being resumed ({Path.GetFullPath(resumeDir)}/config.json): {string.Join("; ", differences)}. Give only --resume RUN to continue it as it was started.");
            }

            TrainRun.Execute(options, token, resume: resumeDir is not null);
            return 0;
        }));
        return command;
    }

    public static Architecture ParseArchitecture(string name)
        => ArchitectureNames.TryParseArchitecture(name, out var a) ? a : throw new ArgumentException($"--arch '{name}' is not an architecture (known: {ArchitectureNames.AllArchitectures}).");

    public static ClassifierHead ParseHead(string name)
        => ArchitectureNames.TryParseHead(name, out var h) ? h : throw new ArgumentException($"--head '{name}' is not a head (known: {ArchitectureNames.AllHeads}).");
}
