using System.Diagnostics;
using CudaGenre.Core;
using CudaGenre.Core.Metrics;
using CudaGenre.Trainer.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Training;

/// <summary>What a training loop tells whoever watches it (progress bar, log).</summary>
internal interface ITrainingObserver
{
    /// <summary>An epoch of <paramref name="batches"/> optimizer steps begins.</summary>
    void EpochStarted(int epoch, int batches);

    /// <summary>A step finished; the running figures are over the epoch so far.</summary>
    void BatchFinished(int epoch, int batch, double runningLoss, double runningAccuracy);

    /// <summary>An epoch finished and was validated.</summary>
    void EpochFinished(EpochMetrics metrics, bool isBest, TimeSpan trainTime, TimeSpan validationTime);

    /// <summary>A line for the log.</summary>
    void Log(string message);
}

/// <summary>Logits and derived figures of one pass over a set, in eval mode.</summary>
/// <param name="Logits">[samples × classes], row-major.</param>
/// <param name="Predictions">Arg-max class per sample.</param>
/// <param name="Loss">Mean cross-entropy (nats).</param>
/// <param name="Matrix">Confusion matrix of the predictions.</param>
internal sealed record Evaluation(float[] Logits, int[] Predictions, double Loss, ConfusionMatrix Matrix);

/// <summary>The outcome of <see cref="TrainingLoop.Run"/>.</summary>
/// <param name="Epochs">Metrics of every finished epoch.</param>
/// <param name="Best">The epoch whose weights are kept (highest validation balanced accuracy, earliest on a tie).</param>
/// <param name="Cancelled">True when Ctrl+C stopped the run early.</param>
/// <param name="StoppedEarly">True when the patience ran out.</param>
/// <param name="SecondsPerEpoch">Mean wall time of the training passes (without validation).</param>
internal sealed record TrainingOutcome(IReadOnlyList<EpochMetrics> Epochs, EpochMetrics Best, bool Cancelled, bool StoppedEarly, double SecondsPerEpoch);

/// <summary>
/// Adam + cross-entropy training of a TorchSharp classifier, validating after each epoch and keeping the
/// weights of the epoch with the best validation balanced accuracy (they are loaded back at the end).
/// </summary>
/// <remarks>
/// Determinism: the data order and augmentation come from <see cref="SeededRandom"/> seeded by
/// (seed, epoch); weights and dropout from <c>torch.manual_seed</c>, which the caller sets before building
/// the model. On the CPU, libtorch's kernels give the same result for the same inputs and thread count;
/// a different <c>--threads</c> may change float summation order inside convolutions and so the last bits
/// of the weights, which can grow over epochs.
/// </remarks>
internal sealed class TrainingLoop
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Func<string, bool> _isHead;
    private readonly TrainingSettings _settings;
    private readonly ITrainingObserver _observer;
    private readonly int _classes;

    /// <summary>Prepares training of <paramref name="model"/>.</summary>
    /// <param name="model">Maps an NCHW batch to [N, classes] logits.</param>
    /// <param name="isHead">Tells, from a state_dict name, whether a parameter or module belongs to the classifier head.</param>
    /// <param name="settings">Optimization settings.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="observer">Receives progress.</param>
    public TrainingLoop(nn.Module<Tensor, Tensor> model, Func<string, bool> isHead, TrainingSettings settings, int classes, ITrainingObserver observer)
    {
        settings.Validate();
        _model = model;
        _isHead = isHead;
        _settings = settings;
        _observer = observer;
        _classes = classes;
    }

    /// <summary>
    /// Trains for the configured epochs (or until cancelled / out of patience) and leaves the model holding
    /// the best epoch's weights, in eval mode. A cancel stops after the current step; if no epoch finished
    /// by then, the weights so far are validated and count as a partial epoch, so there is always a best.
    /// </summary>
    /// <param name="train">Training set.</param>
    /// <param name="validation">Validation set.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <param name="resume">A checkpoint to continue from (after its epoch), or null to start at epoch 1.</param>
    /// <param name="saveCheckpoint">Called after every finished epoch with the state to continue from; the loop disposes it afterwards.</param>
    public TrainingOutcome Run(SpectrogramSet train, SpectrogramSet validation, CancellationToken cancellation, Checkpoint? resume = null, Action<Checkpoint>? saveCheckpoint = null)
    {
        var parameters = new List<Parameter>();
        foreach (var (name, parameter) in _model.named_parameters())
        {
            var trainable = !_settings.FreezeBackbone || _isHead(name);
            parameter.requires_grad = trainable;
            if (trainable)
                parameters.Add(parameter);
        }

        if (parameters.Count == 0)
            throw new InvalidOperationException("No parameter is trainable: the head was not found among the model's parameters.");
        using var optimizer = optim.Adam(parameters, lr: _settings.LearningRate, weight_decay: _settings.WeightDecay);
        var epochs = new List<EpochMetrics>();
        Dictionary<string, Tensor>? bestState = null;
        EpochMetrics? best = null;
        var trainSeconds = new List<double>();
        var cancelled = false;
        var stoppedEarly = false;
        var batchSize = _settings.BatchSize;
        var batchBuffer = new float[batchSize * train.InputLength];
        var order = new int[train.Count];
        var firstEpoch = 1;
        if (resume is not null)
        {
            // Weights, Adam's moments and step counts, the generator and the curves: after this the loop
            // is where an uninterrupted run would be at the start of epoch resume.Epoch + 1.
            LoadState(resume.Model);
            using (var reader = new BinaryReader(new MemoryStream(resume.Optimizer)))
                optimizer.load_state_dict(reader);
            set_rng_state(tensor(resume.RandomState));
            epochs.AddRange(resume.Epochs);
            trainSeconds.AddRange(resume.TrainSeconds);
            best = resume.Epochs[resume.BestEpoch - 1];
            bestState = Clone(resume.Best);
            stoppedEarly = resume.StoppedEarly;
            firstEpoch = resume.StoppedEarly ? int.MaxValue : resume.Epoch + 1;
            _observer.Log($"Resumed after epoch {resume.Epoch} (best so far: epoch {best.Epoch}, validation balanced accuracy {best.ValidationBalancedAccuracy:0.000}){(resume.StoppedEarly ? "; its patience had run out, so no epoch is left" : "")}.");
        }

        try
        {
            for (var epoch = firstEpoch; epoch <= _settings.Epochs; epoch++)
            {
                var rate = _settings.LearningRateAt(epoch);
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = rate;
                if (_settings.Schedule != LearningRateSchedule.Constant)
                    _observer.Log($"epoch {epoch}: learning rate {rate:G4} ({_settings.ScheduleName} schedule)");
                // One stream per epoch: a run resumed at epoch k would see the same order as an uninterrupted one.
                var random = new SeededRandom(SeededRandom.Mix(_settings.Seed, 0x7472_6169_6e, (ulong)epoch));
                for (var i = 0; i < order.Length; i++)
                    order[i] = i;
                random.Shuffle(order.AsSpan());
                var batches = (order.Length + batchSize - 1) / batchSize;
                _observer.EpochStarted(epoch, batches);
                SetTrainingMode();
                var clock = Stopwatch.StartNew();
                double lossSum = 0;
                long correct = 0, seen = 0;
                for (var b = 0; b < batches; b++)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        cancelled = true;
                        break;
                    }

                    var indices = order.AsSpan(b * batchSize, Math.Min(batchSize, order.Length - (b * batchSize)));
                    var n = indices.Length;
                    var buffer = batchBuffer.AsSpan(0, n * train.InputLength);
                    train.FillBatch(indices, buffer, _settings.Augmentation, random);
                    var labels = new long[n];
                    for (var i = 0; i < n; i++)
                        labels[i] = train.Labels[indices[i]];
                    long[]? mixedLabels = null;
                    var lambda = 1.0;
                    if (_settings.MixupAlpha > 0 && n > 1)
                    {
                        lambda = Mixup.SampleBeta(_settings.MixupAlpha, random);
                        var permutation = new int[n];
                        for (var i = 0; i < n; i++)
                            permutation[i] = i;
                        random.Shuffle(permutation.AsSpan());
                        Mixup.MixBatch(buffer, train.InputLength, permutation, lambda);
                        mixedLabels = new long[n];
                        for (var i = 0; i < n; i++)
                            mixedLabels[i] = labels[permutation[i]];
                    }

                    using (NewDisposeScope())
                    {
                        var settings = train.Settings;
                        var input = tensor(buffer.ToArray(), [n, 3, settings.Height, settings.Width]);
                        var target = tensor(labels);
                        optimizer.zero_grad();
                        var logits = _model.forward(input);
                        var loss = Mixup.Loss(logits, target, mixedLabels is null ? null : tensor(mixedLabels), lambda, _settings.LabelSmoothing);
                        loss.backward();
                        optimizer.step();
                        var batchLoss = loss.item<float>();
                        if (!float.IsFinite(batchLoss))
                            throw new InvalidOperationException($"The training loss became {batchLoss} in epoch {epoch}, step {b + 1}: lower --lr.");
                        lossSum += batchLoss * n;
                        // Under mixup, against each sample's own label (its share λ is random).
                        correct += logits.argmax(1).eq(target).sum().item<long>();
                        seen += n;
                    }

                    _observer.BatchFinished(epoch, b + 1, lossSum / seen, (double)correct / seen);
                }

                var trainTime = clock.Elapsed;
                if (seen == 0)
                    break;
                if (!cancelled)
                    trainSeconds.Add(trainTime.TotalSeconds);
                clock.Restart();
                var val = Evaluate(validation);
                var metrics = new EpochMetrics(epoch, lossSum / seen, val.Loss, (double)correct / seen, val.Matrix.Accuracy, val.Matrix.BalancedAccuracy);
                epochs.Add(metrics);
                var isBest = best is null || metrics.ValidationBalancedAccuracy > best.ValidationBalancedAccuracy;
                if (isBest)
                {
                    best = metrics;
                    DisposeState(bestState);
                    bestState = CopyState();
                }

                _observer.EpochFinished(metrics, isBest, trainTime, clock.Elapsed);
                if (cancelled)
                {
                    _observer.Log($"Stopped by Ctrl+C during epoch {epoch}; that partial epoch was validated and counts.");
                    break;
                }

                stoppedEarly = _settings.Patience > 0 && epoch - best!.Epoch >= _settings.Patience;
                if (saveCheckpoint is not null)
                {
                    using var checkpoint = MakeCheckpoint(optimizer, epochs, best!, bestState!, trainSeconds, stoppedEarly);
                    saveCheckpoint(checkpoint);
                }

                if (stoppedEarly)
                {
                    _observer.Log($"No better validation balanced accuracy for {_settings.Patience} epochs: stopping after epoch {epoch}.");
                    break;
                }
            }

            if (best is null || bestState is null)
                throw new OperationCanceledException("Cancelled before any training step finished; there is no checkpoint to keep.");
            _model.load_state_dict(bestState);
            _model.eval();
            var mean = trainSeconds.Count > 0 ? trainSeconds.Average() : double.NaN;
            return new TrainingOutcome(epochs, best, cancelled, stoppedEarly, mean);
        }
        finally
        {
            DisposeState(bestState);
        }
    }

    /// <summary>Runs <paramref name="set"/> through the model in eval mode, without gradients, in batches of the training batch size.</summary>
    public Evaluation Evaluate(SpectrogramSet set) => Evaluate(_model, set, _settings.BatchSize, _classes);

    /// <summary>Runs <paramref name="set"/> through <paramref name="model"/> in eval mode, without gradients.</summary>
    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, SpectrogramSet set, int batchSize, int classes)
    {
        model.eval();
        var logits = new float[set.Count * classes];
        var predictions = new int[set.Count];
        double lossSum = 0;
        var buffer = new float[batchSize * set.InputLength];
        var indices = new int[batchSize];
        using var noGrad = no_grad();
        for (var start = 0; start < set.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, set.Count - start);
            for (var i = 0; i < n; i++)
                indices[i] = start + i;
            var span = buffer.AsSpan(0, n * set.InputLength);
            set.FillBatch(indices.AsSpan(0, n), span, null, null);
            var labels = new long[n];
            for (var i = 0; i < n; i++)
                labels[i] = set.Labels[start + i];
            using var scope = NewDisposeScope();
            var output = model.forward(tensor(span.ToArray(), [n, 3, set.Settings.Height, set.Settings.Width]));
            if (output.shape.Length != 2 || output.shape[0] != n || output.shape[1] != classes)
                throw new InvalidOperationException($"The model gave logits of shape [{string.Join(", ", output.shape)}]; [{n}, {classes}] expected.");
            lossSum += nn.functional.cross_entropy(output, tensor(labels), reduction: nn.Reduction.Sum).item<float>();
            output.data<float>().CopyTo(logits.AsSpan(start * classes, n * classes));
            var argmax = output.argmax(1).data<long>().ToArray();
            for (var i = 0; i < n; i++)
                predictions[start + i] = (int)argmax[i];
        }

        var names = classes == Genres.Count ? Genres.Names : [.. Enumerable.Range(0, classes).Select(c => $"class{c}")];
        var matrix = ConfusionMatrix.From([.. set.Labels], predictions, names);
        return new Evaluation(logits, predictions, lossSum / set.Count, matrix);
    }

    /// <summary>Train mode, except that a frozen backbone's BatchNorm layers keep their running statistics (eval mode).</summary>
    private void SetTrainingMode()
    {
        _model.train();
        if (!_settings.FreezeBackbone)
            return;
        foreach (var (name, module) in _model.named_modules())
        {
            if (module is BatchNorm2d && !_isHead(name))
                module.eval();
        }
    }

    private Checkpoint MakeCheckpoint(Adam optimizer, List<EpochMetrics> epochs, EpochMetrics best, Dictionary<string, Tensor> bestState, List<double> trainSeconds, bool stoppedEarly)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        using var random = get_rng_state();
        var model = CopyState();
        return new Checkpoint
        {
            OptionsFingerprint = "",
            SplitHash = "",
            Epoch = epochs[^1].Epoch,
            Epochs = [.. epochs],
            BestEpoch = best.Epoch,
            TrainSeconds = [.. trainSeconds],
            StoppedEarly = stoppedEarly,
            Model = model,
            // The best state stays the loop's; the checkpoint only borrows it (Checkpoint.Dispose frees Model).
            Best = new BorrowedState(bestState),
            Optimizer = buffer.ToArray(),
            RandomState = random.data<byte>().ToArray(),
        };
    }

    private void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in _model.state_dict())
        {
            if (!state.TryGetValue(name, out var saved))
                throw new InvalidDataException($"The checkpoint has no tensor '{name}': it is from another model.");
            if (!saved.shape.SequenceEqual(value.shape) || saved.dtype != value.dtype)
                throw new InvalidDataException($"The checkpoint's '{name}' is {saved.dtype} [{string.Join(", ", saved.shape)}]; the model's is {value.dtype} [{string.Join(", ", value.shape)}].");
            value.copy_(saved);
        }
    }

    private static Dictionary<string, Tensor> Clone(IReadOnlyDictionary<string, Tensor> state)
    {
        var copy = new Dictionary<string, Tensor>();
        foreach (var (name, value) in state)
            copy[name] = value.detach().clone().DetachFromDisposeScope();
        return copy;
    }

    private Dictionary<string, Tensor> CopyState()
    {
        var copy = new Dictionary<string, Tensor>();
        foreach (var (name, value) in _model.state_dict())
            copy[name] = value.detach().clone().DetachFromDisposeScope();
        return copy;
    }

    private static void DisposeState(Dictionary<string, Tensor>? state)
    {
        if (state is null)
            return;
        foreach (var t in state.Values)
            t.Dispose();
    }
}

/// <summary>A read-only view of tensors someone else owns (Checkpoint.Dispose must not free them).</summary>
internal sealed class BorrowedState(Dictionary<string, Tensor> inner) : IReadOnlyDictionary<string, Tensor>
{
    public Tensor this[string key] => inner[key];

    public IEnumerable<string> Keys => inner.Keys;

    public IEnumerable<Tensor> Values => inner.Values;

    public int Count => inner.Count;

    public bool ContainsKey(string key) => inner.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) => inner.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => inner.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => inner.GetEnumerator();
}
