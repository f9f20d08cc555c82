using System.Globalization;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Data;
using CudaGenre.Core.Metrics;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using CudaGenre.Reports;
using CudaGenre.Trainer.Data;
using CudaGenre.Trainer.Models;

namespace CudaGenre.Trainer.Training;

/// <summary>What <c>ensemble</c> is asked to do.</summary>
/// <param name="Members">Run folders (holding model.safetensors, split.json and config.json), or model files inside run folders.</param>
/// <param name="Weights">One weight per member, or null for 1 each.</param>
/// <param name="Output">The ensemble's folder.</param>
/// <param name="Data">The data set; null: the one in member 0's config.json.</param>
/// <param name="ReferenceLimit">Most test items in the reference (as <c>train --reference-limit</c>).</param>
/// <param name="Seed">Seed of the reference subset and of the bootstrap interval.</param>
internal sealed record EnsembleOptions(IReadOnlyList<string> Members, IReadOnlyList<double>? Weights, string Output, string? Data, int ReferenceLimit = 256, ulong Seed = 42);

/// <summary>The figures an ensemble run measured.</summary>
/// <param name="Folder">The ensemble's folder.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Validation">The ensemble's validation balanced accuracy.</param>
/// <param name="Test">The ensemble's test balanced accuracy with its 95 % interval.</param>
/// <param name="TestPredictions">The ensemble's test predictions, in split order.</param>
/// <param name="MemberTest">Each member's test balanced accuracy with its interval.</param>
internal sealed record EnsembleResult(string Folder, string Manifest, double Validation, ConfidenceInterval Test, int[] TestPredictions, IReadOnlyList<ConfidenceInterval> MemberTest);

/// <summary>
/// <c>cudagenre-train ensemble</c>: evaluates trained runs' models with TorchSharp on their (one, shared) seeded split and
/// combines them as the engine does (<see cref="EnsembleCombination"/>). Writes into the output folder: the members' model
/// files, copied (<c>m0-RUN.safetensors</c>, …: the folder is self-contained, and a run folder that a grid later resumes
/// cannot change the ensemble under its reference), <c>ensemble.json</c> (the manifest), <c>reference.safetensors</c> (an
/// <see cref="EnsembleReference"/>) with one <c>reference-mI.safetensors</c> bundle per member, <c>metrics.json</c>
/// (validation and test of the ensemble and of each member), <c>confusion_val.png</c>, <c>confusion_test.png</c> and
/// <c>ensemble.log</c>.
/// </summary>
internal static class EnsembleRun
{
    public static EnsembleResult Execute(EnsembleOptions options, CancellationToken cancellation, bool? interactive = null)
    {
        if (options.Members.Count == 0)
            throw new ArgumentException("give at least one --member RUN.");
        if (options.Weights is { } w && w.Count != options.Members.Count)
            throw new ArgumentException($"{w.Count} weights for {options.Members.Count} members: give one --weight per --member, in the same order, or none.");
        var folder = Path.GetFullPath(options.Output);
        Directory.CreateDirectory(folder);
        using var log = new RunLog(Path.Combine(folder, "ensemble.log"), interactive);
        log.Log($"{TrainerInfo.Version} — ensemble of {options.Members.Count} into {folder}");
        log.Log($"libtorch {Torch.Describe()}");

        // The members' runs: one split for all, or the figures would not be about the same test images.
        var runs = options.Members.Select(RunFolder).ToList();
        SplitManifest? split = null;
        for (var i = 0; i < runs.Count; i++)
        {
            var s = SplitManifest.Load(Path.Combine(runs[i], "split.json"));
            if (split is not null && s.Hash != split.Hash)
                throw new ArgumentException($"the members were trained on different splits: {runs[0]} on {split.ShortHash}, {runs[i]} on {s.ShortHash}; an ensemble's figures need one test set.");
            split ??= s;
        }
        var root = options.Data ?? DataOf(runs[0]);
        var dataset = GtzanDataset.Open(root, MediaKind.Image);
        log.Log($"Data set {dataset.Root}, split {split!.ShortHash}: {split.Part(SplitPart.Validation).Count()} validation, {split.Part(SplitPart.Test).Count()} test images.");

        // Copy the members and write the manifest; reading it back runs the engine's own checks (classes, nesting).
        var names = new List<(string Path, double Weight)>();
        for (var i = 0; i < runs.Count; i++)
        {
            var name = $"m{i}-{Path.GetFileName(runs[i])}.safetensors";
            File.Copy(Path.Combine(runs[i], "model.safetensors"), Path.Combine(folder, name), overwrite: true);
            names.Add((name, options.Weights?[i] ?? 1.0));
        }
        var manifestPath = Path.Combine(folder, "ensemble.json");
        EnsembleManifest.Write(manifestPath, names, $"ensemble of {string.Join(", ", runs.Select(Path.GetFileName))}");
        var manifest = EnsembleManifest.Read(manifestPath);
        var files = manifest.OpenMembers();
        var classes = files[0].Spec.ClassCount;

        // Each member on the validation and test images, preprocessed its own way.
        var valLogits = new List<float[]>();
        var testLogits = new List<float[]>();
        var bundles = new List<ReferenceBundle>();
        var bundleNames = new List<string>();
        var memberFigures = new JsonArray();
        var memberTest = new List<ConfidenceInterval>();
        int[]? labelsVal = null, labelsTest = null;
        string[]? testFiles = null;
        int[]? chosen = null;
        for (var i = 0; i < files.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var file = files[i];
            var settings = file.Spec.ToPreprocessSettings();
            var validation = SpectrogramSet.Load(dataset, split, SplitPart.Validation, settings, false, cancellation: cancellation);
            var test = SpectrogramSet.Load(dataset, split, SplitPart.Test, settings, false, cancellation: cancellation);
            using var model = new GraphModule(file.Graph);
            StateDict.LoadInto(model, file.Graph, file.Weights, skipHead: false);
            var val = TrainingLoop.Evaluate(model, validation, 16, classes);
            var testEval = TrainingLoop.Evaluate(model, test, 16, classes);
            labelsVal ??= [.. validation.Labels];
            labelsTest ??= [.. test.Labels];
            testFiles ??= [.. test.Files];
            chosen ??= Export.ChooseSubset(test.Count, options.ReferenceLimit, options.Seed);
            valLogits.Add(val.Logits);
            testLogits.Add(testEval.Logits);
            var interval = ConfidenceInterval.BootstrapBalancedAccuracy(labelsTest, testEval.Predictions, classes, seed: options.Seed);
            memberTest.Add(interval);
            log.Log(string.Create(CultureInfo.InvariantCulture, $"Member {i} {manifest.Members[i].Path} ({file.Spec.Describe()}, weight {manifest.Members[i].Weight}): validation {val.Matrix.BalancedAccuracy:0.000}, test {interval.Estimate:0.000} (95 % {interval.Lower:0.000}–{interval.Upper:0.000})."));
            memberFigures.Add((JsonNode)new JsonObject
            {
                ["run"] = runs[i],
                ["path"] = manifest.Members[i].Path,
                ["model"] = file.Spec.Describe(),
                ["weight"] = manifest.Members[i].Weight,
                ["validationBalancedAccuracy"] = val.Matrix.BalancedAccuracy,
                ["testBalancedAccuracy95"] = TrainRun.Interval(interval),
            });

            // The member's reference: the chosen test items as this member takes them, with its logits.
            var length = test.InputLength;
            var inputs = new float[chosen.Length * length];
            for (var k = 0; k < chosen.Length; k++)
                test.Input(chosen[k]).CopyTo(inputs.AsSpan(k * length));
            var bundleName = $"reference-m{i}.safetensors";
            var bundle = new ReferenceBundle(file.Spec, "test", [.. chosen.Select(k => test.Files[k])], inputs, [.. chosen.Select(k => (long)test.Labels[k])],
                Rows(testEval.Logits, chosen, classes), ModelFile.ComputeSha256(manifest.Members[i].FullPath));
            bundle.Write(Path.Combine(folder, bundleName));
            bundles.Add(bundle);
            bundleNames.Add(bundleName);
        }

        var weights = manifest.Weights();
        var valCombined = Combine(valLogits, weights, labelsVal!.Length, classes);
        var testCombined = Combine(testLogits, weights, labelsTest!.Length, classes);
        var valEval = Evaluate(valCombined, labelsVal, classes);
        var testEnsemble = Evaluate(testCombined, labelsTest, classes);
        var balanced = ConfidenceInterval.BootstrapBalancedAccuracy(labelsTest, testEnsemble.Predictions, classes, seed: options.Seed);
        var accuracy = ConfidenceInterval.Wilson(Enumerable.Range(0, labelsTest.Length).Count(i => testEnsemble.Predictions[i] == labelsTest[i]), labelsTest.Length);
        log.Log(string.Create(CultureInfo.InvariantCulture, $"Ensemble: validation {valEval.Matrix.BalancedAccuracy:0.000}, test ({labelsTest.Length} images) balanced accuracy {balanced.Estimate:0.000} (95 % {balanced.Lower:0.000}–{balanced.Upper:0.000}), accuracy {accuracy.Estimate:0.000}."));

        EnsembleReference.Write(Path.Combine(folder, "reference.safetensors"), "test", bundleNames, bundles, Rows(testCombined, chosen!, classes), ModelFile.ComputeSha256(manifestPath));
        WriteMetrics(folder, manifest, files, valEval, testEnsemble, balanced, accuracy, memberFigures);
        var title = $"ensemble of {files.Count}";
        ConfusionMatrixPlot.SavePng(valEval.Matrix, Path.Combine(folder, "confusion_val.png"), $"{title}, validation");
        ConfusionMatrixPlot.SavePng(testEnsemble.Matrix, Path.Combine(folder, "confusion_test.png"), $"{title}, test");
        log.Log($"Wrote ensemble.json, {string.Join(", ", names.Select(n => n.Path))}, reference.safetensors ({chosen!.Length} test items; {string.Join(", ", bundleNames)}), metrics.json and the confusion matrices to {folder}.");
        return new EnsembleResult(folder, manifestPath, valEval.Matrix.BalancedAccuracy, balanced, testEnsemble.Predictions, memberTest);
    }

    /// <summary>The run folder of a --member: the folder itself, or the folder of a model file in it.</summary>
    private static string RunFolder(string member)
    {
        var full = Path.GetFullPath(member);
        var folder = File.Exists(full) ? Path.GetDirectoryName(full)! : full;
        if (!Directory.Exists(folder))
            throw new DataFileException(member, "is neither a run folder nor a model file in one");
        if (File.Exists(full) && Path.GetFileName(full) != "model.safetensors")
            throw new DataFileException(member, "a member is a run folder (or its model.safetensors): its split.json says which images are its test set");
        foreach (var needed in new[] { "model.safetensors", "split.json" })
        {
            if (!File.Exists(Path.Combine(folder, needed)))
                throw new DataFileException(folder, $"is not a finished run folder: it has no {needed}");
        }
        return folder;
    }

    /// <summary>The data set a run was trained on (its config.json's <c>data</c>).</summary>
    private static string DataOf(string run)
    {
        var path = Path.Combine(run, "config.json");
        if (!File.Exists(path))
            throw new DataFileException(run, "has no config.json to say which data set it was trained on: give --data");
        try
        {
            return (string?)JsonNode.Parse(File.ReadAllText(path))?["data"] ?? throw new DataFileException(path, "has no 'data' entry: give --data");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new DataFileException(path, $"is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The members' logits combined as the engine combines them.</summary>
    private static float[] Combine(List<float[]> members, double[] weights, int count, int classes)
    {
        var all = members.SelectMany(m => m).ToArray();
        var combined = new float[count * classes];
        EnsembleCombination.Combine(all, weights, count, classes, combined);
        return combined;
    }

    /// <summary>Predictions (the engine's argmax), loss (mean −log p of the true class) and matrix of combined logits.</summary>
    private static Evaluation Evaluate(float[] logits, int[] labels, int classes)
    {
        var predictions = new int[labels.Length];
        var loss = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            predictions[i] = Classification.ArgMax(row);
            loss -= row[labels[i]];
        }
        var names = classes == Genres.Count ? Genres.Names : [.. Enumerable.Range(0, classes).Select(c => $"class{c}")];
        return new Evaluation(logits, predictions, loss / labels.Length, ConfusionMatrix.From(labels, predictions, names));
    }

    private static float[] Rows(float[] logits, int[] rows, int classes)
    {
        var picked = new float[rows.Length * classes];
        for (var k = 0; k < rows.Length; k++)
            logits.AsSpan(rows[k] * classes, classes).CopyTo(picked.AsSpan(k * classes));
        return picked;
    }

    private static void WriteMetrics(string folder, EnsembleManifest manifest, IReadOnlyList<ModelFile> files, Evaluation validation, Evaluation test, ConfidenceInterval balanced, ConfidenceInterval accuracy, JsonArray members)
    {
        var testNode = JsonNode.Parse(ClassificationReport.From(test.Matrix).ToJson())!.AsObject();
        testNode["loss"] = test.Loss;
        testNode["balancedAccuracy95"] = TrainRun.Interval(balanced);
        testNode["accuracy95"] = TrainRun.Interval(accuracy);
        var valNode = JsonNode.Parse(ClassificationReport.From(validation.Matrix).ToJson())!.AsObject();
        valNode["loss"] = validation.Loss;
        var metrics = new JsonObject
        {
            ["format"] = "cudagenre-ensemble-metrics/1",
            ["model"] = $"ensemble of {files.Count}: {string.Join("; ", files.Select((f, i) => $"{f.Spec.Describe()} ×{manifest.Members[i].Weight.ToString(CultureInfo.InvariantCulture)}"))}",
            ["combination"] = EnsembleManifest.MeanProbability,
            ["members"] = members,
            ["validation"] = valNode,
            ["test"] = testNode,
        };
        AtomicFile.WriteText(Path.Combine(folder, "metrics.json"), metrics.ToJsonString(JsonOptions.Indented));
    }
}
