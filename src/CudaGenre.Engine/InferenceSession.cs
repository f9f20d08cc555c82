using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Cuda;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine;

/// <summary>
/// A loaded model, ready to classify. Opening reads and checks the file, builds the architecture from
/// the spec in its metadata, folds and fuses it (<see cref="GraphOptimizer"/>) and prepares the weights
/// for the backend; each batch size gets its own memory plan the first time it is used.
/// </summary>
/// <remarks>
/// <para>An ensemble (an <see cref="EnsembleManifest"/>, <c>*.ensemble.json</c>) opens as one session too: each member is
/// a session of its own (same options), every image is preprocessed for each member as that member was trained (input
/// size, normalization), and the logits are the log of the weighted mean of the members' probabilities
/// (<see cref="EnsembleCombination"/>), so that <see cref="Classification"/>, argmax and top-k work unchanged. An ensemble
/// has no single <see cref="Spec"/> (see <see cref="Members"/>); raw-tensor <c>Run</c> needs members that take one input
/// (same size and normalization), else one input per member (<see cref="Run(IReadOnlyList{ReadOnlyMemory{float}}, int, Span{float})"/>).</para>
/// </remarks>
/// <remarks>
/// Thread-safe: concurrent <see cref="Run(ReadOnlySpan{float}, int, Span{float})"/> calls each take an
/// execution plan from an internal pool (a new one is made when all are busy), so callers never block
/// each other; weights are shared. After warm-up a <c>Run</c> allocates nothing.
/// <code>
/// using var session = InferenceSession.Open("model.safetensors");
/// var result = session.Classify(ImageFile.Read("song.png"));
/// Console.WriteLine($"{result.Label} ({result.Probabilities[result.Index]:P0})");
/// </code>
/// </remarks>
public sealed class InferenceSession : IDisposable
{
    // A single model has a graph and a backend; an ensemble has neither, only its members (_ensemble).
    private readonly FusedGraph? _graph;
    private readonly IModelBackend? _backend;
    private readonly EnsembleMembers? _ensemble;
    private readonly ModelSpec? _spec;
    private readonly SessionOptions _options;
    // Idle plans, at most SessionOptions.MaxIdlePlans, each with the time it was last returned (least recently used
    // goes first). Plain arrays, so that renting and returning allocate nothing.
    private readonly IExecutionPlan?[] _idle;
    private readonly long[] _idleSince;
    private readonly Lock _lock = new();
    private long _clock;
    private int _inFlight;
    private int _livePlans;
    private bool _backendDisposed;
    // Made on first use: a model whose input is not an RGB image can still be opened and run.
    private readonly Lazy<ImagePreprocessor>? _preprocessor;
    private readonly InputLimits _limits;
    private bool _disposed;

    private InferenceSession(ModelGraph graph, Func<string, float[]> weights, SessionOptions options, string source)
    {
        _options = options;
        _limits = (options.Limits ?? InputLimits.Default).Validate();
        if (options.MaxIdlePlans < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxIdlePlans must be at least 1; got {options.MaxIdlePlans}.");
        }
        _idle = new IExecutionPlan?[options.MaxIdlePlans];
        _idleSince = new long[options.MaxIdlePlans];
        if (options.Threads < 1 || options.Threads > _limits.MaxThreads)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Threads must be between 1 and {_limits.MaxThreads} (InputLimits.MaxThreads); got {options.Threads}.");
        }
        var spec = graph.Spec;
        var inputLength = SizeMath.Product(spec.InputChannels, spec.InputHeight, spec.InputWidth);
        if (inputLength > _limits.MaxModelInputLength)
        {
            throw new DataFileException(source, $"the model's input is {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth} = {inputLength} floats per item, over the limit of {_limits.MaxModelInputLength} (InputLimits.MaxModelInputLength)");
        }
        InputLength = (int)inputLength;
        if (options.Backend == Backend.Cpu)
        {
            CpuPrecision.GemmKind(options.Precision); // refused before any work, with the reason
        }
        _spec = graph.Spec;
        ClassNames = _spec.ClassNames;
        if (!options.AllowNonFiniteWeights)
        {
            CheckWeights(graph, weights, source);
        }
        _graph = GraphOptimizer.Optimize(graph, weights);
        _backend = options.Backend switch
        {
            Backend.Cpu => CreateCpu(_graph, options),
            Backend.Cuda => CudaBackend.Create(_graph, options),
            Backend.Auto => ChooseAuto(_graph, options),
            _ => throw new ArgumentOutOfRangeException(nameof(options), $"unknown backend {options.Backend}"),
        };
        (Backend, Precision) = (_backend.Kind, _backend.Precision);
        _preprocessor = new(() => new ImagePreprocessor(Spec.ToPreprocessSettings()));
    }

    /// <summary>An ensemble: one session per member file, with the same options (each checked as a model of its own).</summary>
    private InferenceSession(EnsembleManifest manifest, IReadOnlyList<ModelFile> files, SessionOptions options)
    {
        _options = options;
        _limits = (options.Limits ?? InputLimits.Default).Validate();
        _idle = [];
        _idleSince = [];
        var members = new List<InferenceSession>(files.Count);
        try
        {
            foreach (var file in files)
                members.Add(new InferenceSession(file.Graph, file.Weights.ToSingleArray, options, file.Path));
        }
        catch
        {
            foreach (var member in members)
                member.Dispose();
            throw;
        }
        _ensemble = new EnsembleMembers(manifest, [.. members], options.MaxIdlePlans);
        ClassNames = members[0].ClassNames;
        // Raw tensors have one meaning only when every member takes the same input, normalized the same way.
        var first = members[0].Spec;
        HasSingleInput = members.All(m => (m.Spec.InputChannels, m.Spec.InputHeight, m.Spec.InputWidth) == (first.InputChannels, first.InputHeight, first.InputWidth)
            && m.Spec.Mean.SequenceEqual(first.Mean) && m.Spec.Std.SequenceEqual(first.Std));
        InputLength = HasSingleInput ? members[0].InputLength : 0;
        (Backend, Precision) = (members[0].Backend, members[0].Precision);
    }

    /// <summary>The model's spec (architecture, head, input size, normalization, classes).</summary>
    /// <exception cref="InvalidOperationException">The session is an ensemble, which has no single spec: see <see cref="Members"/>.</exception>
    public ModelSpec Spec => _spec ?? throw new InvalidOperationException($"{Describe()} has no single spec: each member has its own (InferenceSession.Members).");

    /// <summary>The class names, one per logit (an ensemble's members all have the same).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The backend actually in use (an ensemble's: its first member's; each member's is in <see cref="Members"/>).</summary>
    public Backend Backend { get; }

    /// <summary>The precision in use (an ensemble's: its first member's).</summary>
    public Precision Precision { get; }

    /// <summary>
    /// Floats per input item: C·H·W, NCHW order, normalized as <see cref="Spec"/> says; for an ensemble, its members'
    /// common input, or 0 when they take different inputs (<see cref="HasSingleInput"/>).
    /// </summary>
    public int InputLength { get; }

    /// <summary>
    /// Whether raw tensors have one meaning: always for a single model; for an ensemble, when every member takes the same
    /// input size and normalization (its <see cref="InputSpec"/>).
    /// </summary>
    public bool HasSingleInput { get; } = true;

    /// <summary>
    /// The spec that says what a raw input is (channels, size, normalization): <see cref="Spec"/>, or for an ensemble
    /// with <see cref="HasSingleInput"/> its first member's.
    /// </summary>
    /// <exception cref="InvalidOperationException">An ensemble whose members take different inputs.</exception>
    public ModelSpec InputSpec => _ensemble is null ? Spec
        : HasSingleInput ? _ensemble.Sessions[0].Spec : throw new InvalidOperationException(NoSingleInput());

    /// <summary>Number of classes (logits per item).</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The steps the backend executes, after folding and fusion (none for an ensemble: see its <see cref="Members"/>).</summary>
    public IReadOnlyList<FusedStep> Steps => _graph?.Steps ?? [];

    /// <summary>The ensemble's manifest, or null for a single model.</summary>
    public EnsembleManifest? Manifest => _ensemble?.Manifest;

    /// <summary>An ensemble's member sessions, in the manifest's order (empty for a single model). Owned by this session.</summary>
    public IReadOnlyList<InferenceSession> Members => _ensemble?.Sessions ?? [];

    /// <summary>
    /// What the session runs, in one line: the spec (<c>resnet18/linear 3×224×224, 10 classes</c>), or for an ensemble each
    /// member with its weight.
    /// </summary>
    public string Describe() => _ensemble is { } e
        ? $"ensemble of {e.Sessions.Length} ({string.Join("; ", e.Sessions.Select((m, i) => $"{m.Spec.Describe()} ×{e.Weights[i].ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}"))})"
        : Spec.Describe();

    /// <summary>
    /// Opens a model file written by the trainer (or any safetensors file with our metadata), or an ensemble manifest
    /// (recognised by its content: JSON, not safetensors).
    /// </summary>
    /// <exception cref="Core.DataFileException">The file is missing, truncated, foreign, or its tensors do not match its spec (the message names the tensor); for a manifest, any problem of the manifest or a member (<see cref="EnsembleManifest"/>).</exception>
    public static InferenceSession Open(string path, SessionOptions? options = null)
    {
        if (EnsembleManifest.IsManifest(path))
            return Create(EnsembleManifest.Read(path, options?.Limits), options);
        var file = ModelFile.Read(path);
        return new InferenceSession(file.Graph, file.Weights.ToSingleArray, options ?? new SessionOptions(), path);
    }

    /// <summary>Opens an ensemble: reads and checks each member file (<see cref="EnsembleManifest.OpenMembers"/>) and opens a session on each with <paramref name="options"/>.</summary>
    /// <exception cref="Core.DataFileException">A member is missing, not a model, itself a manifest, or its classes differ from member 0's.</exception>
    public static InferenceSession Create(EnsembleManifest manifest, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        options ??= new SessionOptions();
        var limits = (options.Limits ?? InputLimits.Default).Validate();
        if (manifest.Members.Count > limits.MaxEnsembleMembers)
            throw new DataFileException(manifest.Path, $"{manifest.Members.Count} members, over the limit of {limits.MaxEnsembleMembers} (InputLimits.MaxEnsembleMembers)");
        return new InferenceSession(manifest, manifest.OpenMembers(), options);
    }

    /// <summary>Creates a session from an already opened model file.</summary>
    public static InferenceSession Create(ModelFile file, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new InferenceSession(file.Graph, file.Weights.ToSingleArray, options ?? new SessionOptions(), file.Path);
    }

    /// <summary>
    /// Runs the model on <paramref name="batchSize"/> items: <paramref name="inputs"/> holds
    /// batchSize × <see cref="InputLength"/> floats (NCHW), <paramref name="logits"/> receives
    /// batchSize × <see cref="ClassCount"/> floats.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths, a batch size over <see cref="InputLimits.MaxBatchSize"/>, or an input value that is NaN or infinite.</exception>
    /// <exception cref="InvalidOperationException">An ensemble whose members take different inputs (<see cref="HasSingleInput"/>): give images, or one input per member.</exception>
    public void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatchSize(batchSize);
        if (!HasSingleInput)
        {
            throw new InvalidOperationException(NoSingleInput());
        }
        var input = InputSpec;
        if (inputs.Length != (long)batchSize * InputLength)
        {
            throw new ArgumentException($"inputs has {inputs.Length} floats; a batch of {batchSize} needs {batchSize} × {input.InputChannels}×{input.InputHeight}×{input.InputWidth} = {(long)batchSize * InputLength}.", nameof(inputs));
        }
        if (logits.Length != (long)batchSize * ClassCount)
        {
            throw new ArgumentException($"logits has room for {logits.Length} floats; a batch of {batchSize} produces {batchSize} × {ClassCount}.", nameof(logits));
        }
        var bad = inputs.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad >= 0)
        {
            throw new ArgumentException($"input item {bad / InputLength} has a non-finite value ({inputs[bad]}) at index {bad % InputLength}.", nameof(inputs));
        }
        if (_ensemble is { } ensemble)
        {
            RunEnsemble(ensemble, inputs, batchSize, logits, static (member, _, x, n, o) => member.Run(x, n, o));
            return;
        }

        var plan = Rent(batchSize);
        try
        {
            plan.Run(inputs, logits);
        }
        finally
        {
            Return(plan);
        }
        CheckLogits(logits);
    }

    /// <summary>Runs the model and returns the logits (batchSize × <see cref="ClassCount"/>).</summary>
    public float[] Run(ReadOnlySpan<float> inputs, int batchSize)
    {
        CheckBatchSize(batchSize);
        var logits = new float[SizeMath.Multiply(batchSize, ClassCount)];
        Run(inputs, batchSize, logits);
        return logits;
    }

    /// <summary>Classifies one preprocessed input (<see cref="InputLength"/> floats, NCHW).</summary>
    public Classification Classify(ReadOnlySpan<float> input) => ToClassification(Run(input, 1));

    /// <summary>
    /// Classifies an image (e.g. a spectrogram PNG): resized and normalized as the model was trained. On the CUDA
    /// backend the resize and normalization run on the GPU (<c>preprocess.cu</c>, bit for bit the CPU's result).
    /// </summary>
    public Classification Classify(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Classify([image])[0];
    }

    /// <summary>Classifies a batch of images in one forward pass (see <see cref="Run(IReadOnlyList{RgbImage}, Span{float})"/>).</summary>
    public Classification[] Classify(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckBatchSize(Math.Max(1, images.Count));
        var logits = new float[SizeMath.Multiply(images.Count, ClassCount)];
        Run(images, logits);
        return [.. Enumerable.Range(0, images.Count).Select(i => ToClassification(logits[(i * ClassCount)..((i + 1) * ClassCount)]))];
    }

    /// <summary>
    /// Runs the model on a batch of images (any sizes; each is resized and normalized as the model was trained):
    /// <paramref name="logits"/> receives images.Count × <see cref="ClassCount"/> floats. On the CUDA backend the
    /// pixels go to the GPU as they are and <c>preprocess.cu</c> resizes and normalizes them there, bit for bit
    /// the CPU's <see cref="ImagePreprocessor"/>; on the CPU, that preprocessor runs first.
    /// </summary>
    /// <exception cref="ArgumentException">No images, a null image, or the wrong logits length.</exception>
    public void Run(IReadOnlyList<RgbImage> images, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (images.Count == 0)
            throw new ArgumentException("no images were given.", nameof(images));
        CheckBatchSize(images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i] is null)
                throw new ArgumentException($"image {i} is null.", nameof(images));
        }
        if (logits.Length != (long)images.Count * ClassCount)
            throw new ArgumentException($"logits has room for {logits.Length} floats; {images.Count} images produce {images.Count} × {ClassCount}.", nameof(logits));
        if (_ensemble is { } ensemble)
        {
            // Each member resizes and normalizes the images its own way.
            RunEnsemble(ensemble, images, images.Count, logits, static (member, _, x, _, o) => member.Run(x, o));
            return;
        }
        var preprocessor = _preprocessor!.Value; // also says why where the model does not take RGB images
        // The batch's inputs must be expressible as floats (as for Run(floats)), checked before a plan is made for it.
        _ = SizeMath.ToArrayLength(SizeMath.Multiply(images.Count, InputLength), $"the inputs of {images.Count} images (floats)");
        var plan = Rent(images.Count);
        try
        {
            plan.Run(images, preprocessor, logits);
        }
        finally
        {
            Return(plan);
        }
        CheckLogits(logits);
    }

    /// <summary>
    /// Runs an ensemble on inputs already preprocessed for each member (how the trainer's reference inputs come): member
    /// m's input is <paramref name="batchSize"/> × <c>Members[m].InputLength</c> floats, normalized as its spec says. For a
    /// single model, one input, as <see cref="Run(ReadOnlySpan{float}, int, Span{float})"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Not one input per member, or an input of the wrong length (named by member).</exception>
    public void Run(IReadOnlyList<ReadOnlyMemory<float>> memberInputs, int batchSize, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(memberInputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var count = _ensemble?.Sessions.Length ?? 1;
        if (memberInputs.Count != count)
            throw new ArgumentException($"{memberInputs.Count} inputs for {(_ensemble is null ? "a single model, which takes one" : $"an ensemble of {count} members, which takes one per member")}.", nameof(memberInputs));
        if (_ensemble is not { } ensemble)
        {
            Run(memberInputs[0].Span, batchSize, logits);
            return;
        }
        CheckBatchSize(batchSize);
        if (logits.Length != (long)batchSize * ClassCount)
            throw new ArgumentException($"logits has room for {logits.Length} floats; a batch of {batchSize} produces {batchSize} × {ClassCount}.", nameof(logits));
        for (var m = 0; m < count; m++)
        {
            if (memberInputs[m].Length != (long)batchSize * ensemble.Sessions[m].InputLength)
                throw new ArgumentException($"member {m}'s input has {memberInputs[m].Length} floats; a batch of {batchSize} of {ensemble.Sessions[m].Spec.Describe()} needs {(long)batchSize * ensemble.Sessions[m].InputLength}.", nameof(memberInputs));
        }
        RunEnsemble(ensemble, memberInputs, batchSize, logits, static (member, m, x, n, o) => member.Run(x[m].Span, n, o));
    }

    private delegate void MemberRun<TInput>(InferenceSession member, int index, TInput input, int batchSize, Span<float> logits)
        where TInput : allows ref struct;

    /// <summary>
    /// Runs every member into its own block of a pooled buffer, then combines the blocks (<see cref="EnsembleCombination"/>).
    /// Counted as a call in flight, so that <see cref="Dispose"/> leaves the members alone until it returns.
    /// </summary>
    private void RunEnsemble<TInput>(EnsembleMembers ensemble, TInput input, int batchSize, Span<float> logits, MemberRun<TInput> run)
        where TInput : allows ref struct
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inFlight++;
        }
        try
        {
            var block = batchSize * ClassCount;
            var members = ensemble.Sessions.Length;
            var scratch = ensemble.Rent(SizeMath.ToArrayLength(SizeMath.Multiply(block, members), "the members' logits (floats)"));
            try
            {
                for (var m = 0; m < members; m++)
                    run(ensemble.Sessions[m], m, input, batchSize, scratch.AsSpan(m * block, block));
                EnsembleCombination.Combine(scratch.AsSpan(0, block * members), ensemble.Weights, batchSize, ClassCount, logits);
            }
            finally
            {
                ensemble.Return(scratch);
            }
        }
        finally
        {
            Release(null);
        }
    }

    private string NoSingleInput() =>
        $"{Describe()} has no single input shape: its members take {string.Join(" and ", Members.Select(m => $"{m.Spec.InputChannels}×{m.Spec.InputHeight}×{m.Spec.InputWidth} (mean [{string.Join(", ", m.Spec.Mean)}], std [{string.Join(", ", m.Spec.Std)}])").Distinct())}; "
        + "give images (each member preprocesses them its own way) or one input per member (Run with a list of member inputs).";

    private Classification ToClassification(float[] logits) => Classification.FromLogits(ClassNames, logits);

    /// <summary>
    /// What a forward pass of <paramref name="batchSize"/> items runs, one line per step (the CUDA backend adds the
    /// cuDNN algorithms it chose, whether a CUDA graph is replayed, and its measured depthwise and separable choices). Makes the
    /// plan if there is none yet.
    /// </summary>
    public IReadOnlyList<string> DescribePlan(int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatchSize(batchSize);
        if (_ensemble is { } ensemble)
        {
            return [.. ensemble.Sessions.SelectMany((m, i) => m.DescribePlan(batchSize).Prepend($"member {i} ({ensemble.Manifest.Members[i].Path}, weight {ensemble.Weights[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}): {m.Spec.Describe()}")),
                $"combine: log of the weighted mean of the {ensemble.Sessions.Length} members' probabilities"];
        }
        var plan = Rent(batchSize);
        try
        {
            return plan.Describe();
        }
        finally
        {
            Return(plan);
        }
    }

    /// <summary>
    /// Makes the execution plan for <paramref name="batchSize"/> now (memory, cuDNN algorithms) and runs one pass on
    /// zeros through it (first-touch of memory; the CUDA backend captures its graph then), so the first <c>Run</c>
    /// pays for none of it.
    /// </summary>
    public void WarmUp(int batchSize = 1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatchSize(batchSize);
        if (_ensemble is { } ensemble)
        {
            foreach (var member in ensemble.Sessions)
                member.WarmUp(batchSize);
            ensemble.Return(ensemble.Rent(SizeMath.ToArrayLength(SizeMath.Multiply(SizeMath.Multiply(batchSize, ClassCount), ensemble.Sessions.Length), "the members' logits (floats)")));
            return;
        }
        var plan = Rent(batchSize);
        try
        {
            plan.Run(new float[SizeMath.ToArrayLength(SizeMath.Multiply(batchSize, InputLength), $"the inputs of a batch of {batchSize} (floats)")],
                new float[SizeMath.Multiply(batchSize, ClassCount)]);
        }
        finally
        {
            Return(plan);
        }
    }

    /// <summary>
    /// Every float weight finite, every BatchNorm variance ≥ 0 (a negative one makes the folded weights NaN): a NaN
    /// weight otherwise turns into NaN logits, and an argmax over NaN is a confident wrong genre.
    /// </summary>
    private static void CheckWeights(ModelGraph graph, Func<string, float[]> weights, string source)
    {
        foreach (var entry in graph.StateDict)
        {
            if (entry.Role == StateRole.NumBatchesTracked)
            {
                continue;
            }
            var values = weights(entry.Name);
            var bad = values.AsSpan().IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
            if (bad >= 0)
            {
                throw new DataFileException(source, $"tensor '{entry.Name}' holds a non-finite value ({values[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)}) at index {bad}: the model cannot give meaningful results (SessionOptions.AllowNonFiniteWeights opts out of this check)");
            }
            if (entry.Role == StateRole.RunningVar && values.AsSpan().IndexOfAnyInRange(float.MinValue, -float.Epsilon) is var negative and >= 0)
            {
                throw new DataFileException(source, $"tensor '{entry.Name}' holds a negative variance ({values[negative].ToString(System.Globalization.CultureInfo.InvariantCulture)}) at index {negative}: the model cannot give meaningful results (SessionOptions.AllowNonFiniteWeights opts out of this check)");
            }
        }
    }

    /// <summary>Logits that are not finite are an error, never a genre.</summary>
    private void CheckLogits(ReadOnlySpan<float> logits)
    {
        var bad = logits.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad >= 0)
        {
            var (item, index) = (bad / ClassCount, bad % ClassCount);
            throw new InvalidOperationException($"the model produced a non-finite logit ({logits[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)}) for item {item}, class {index} ('{Spec.ClassNames[index]}'): its weights or activations overflow float32 on this input, so no genre can be given.");
        }
    }

    /// <summary>1 ≤ batch size ≤ <see cref="InputLimits.MaxBatchSize"/>, before any plan or buffer is made for it.</summary>
    private void CheckBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (batchSize > _limits.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batch size {batchSize} is over the limit of {_limits.MaxBatchSize} (InputLimits.MaxBatchSize).");
        }
    }

    /// <summary>Plans made and not yet disposed (idle or in use): at most MaxIdlePlans + the calls in flight.</summary>
    internal int LivePlans => Volatile.Read(ref _livePlans);

    /// <summary>
    /// An idle plan that fits <paramref name="batchSize"/> (its own size, or for CUDA the smallest larger one under
    /// twice the size, <see cref="ExecutionPlans.Fits"/>), or a new one for exactly that size. Counts the call as in flight, so that
    /// <see cref="Dispose"/> leaves its plan (and the backend it uses) alone until it is returned.
    /// </summary>
    private IExecutionPlan Rent(int batchSize)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inFlight++;
            var best = -1;
            for (var i = 0; i < _idle.Length; i++)
            {
                if (_idle[i] is { } idle && ExecutionPlans.Fits(idle.BatchSize, batchSize, _backend!.PadsCheaply) && (best < 0 || idle.BatchSize < _idle[best]!.BatchSize))
                    best = i;
            }
            if (best >= 0)
            {
                var plan = _idle[best]!;
                _idle[best] = null;
                return plan;
            }
        }
        try
        {
            var plan = _backend!.CreatePlan(batchSize); // plans are a single model's; an ensemble's members rent their own
            Interlocked.Increment(ref _livePlans);
            return plan;
        }
        catch
        {
            Release(null);
            throw;
        }
    }

    /// <summary>
    /// Puts the plan back among the idle ones; when they are full, the least recently used idle plan is disposed
    /// (memory and threads stay bounded however the batch sizes vary). After <see cref="Dispose"/> the plan is
    /// disposed instead, and the last call in flight disposes the backend.
    /// </summary>
    private void Return(IExecutionPlan plan) => Release(plan);

    private void Release(IExecutionPlan? plan)
    {
        IExecutionPlan? evicted = null;
        var disposeBackend = false;
        lock (_lock)
        {
            _inFlight--;
            if (_disposed)
            {
                evicted = plan;
                disposeBackend = _inFlight == 0 && !_backendDisposed;
                _backendDisposed |= disposeBackend;
            }
            else if (plan is not null)
            {
                var slot = -1;
                for (var i = 0; i < _idle.Length; i++)
                {
                    if (_idle[i] is null)
                    {
                        slot = i;
                        break;
                    }
                    if (slot < 0 || _idleSince[i] < _idleSince[slot])
                    {
                        slot = i;
                    }
                }
                evicted = _idle[slot];
                _idle[slot] = plan;
                _idleSince[slot] = ++_clock;
            }
        }
        if (evicted is not null)
        {
            evicted.Dispose();
            Interlocked.Decrement(ref _livePlans);
        }
        if (disposeBackend)
        {
            DisposeEngine();
        }
    }

    /// <summary>The backend of a single model, or an ensemble's member sessions.</summary>
    private void DisposeEngine()
    {
        _backend?.Dispose();
        foreach (var member in Members)
            member.Dispose();
    }

    /// <summary>CUDA when it can be used, else the CPU, saying why in one line.</summary>
    private static IModelBackend ChooseAuto(FusedGraph graph, SessionOptions options)
    {
        if (CudaBackend.TryCreate(graph, options, out var cuda, out var reason))
        {
            options.Log?.Invoke($"backend: CUDA {options.Precision} on {cuda!.Device}");
            return cuda!;
        }
        // Without CUDA a reduced precision the CPU has (BF16 with AVX512_BF16) is used; any other runs in FP32, said here.
        var kind = CpuPrecision.TryGemmKind(options.Precision, out var why) ?? CpuGemmKind.Fp32;
        var precision = CpuPrecision.Of(kind) == options.Precision ? kind == CpuGemmKind.Fp32 ? "" : $"; the CPU computes {options.Precision}"
            : $"; the CPU computes FP32, not {options.Precision}: {why}";
        options.Log?.Invoke($"backend: CPU (CUDA is not usable: {reason}{precision})");
        return CreateCpu(graph, options, kind);
    }

    private static CpuBackend CreateCpu(FusedGraph graph, SessionOptions options, CpuGemmKind? kind = null)
    {
        // A build whose CPU kernels are emulated in software (NativeAOT without AVX2+FMA) says so at once.
        if (!CpuKernels.IsHardwareAccelerated)
        {
            options.Log?.Invoke(CpuKernels.Describe());
        }

        var gemmKind = kind ?? CpuPrecision.GemmKind(options.Precision);
        if (gemmKind == CpuGemmKind.Bf16 && Bf16Support.Emulated)
        {
            options.Log?.Invoke($"the CPU's BF16 GEMMs run on an emulation of VDPBF16PS ({Bf16Support.EmulateVariable}=emulate; the CPU lacks the instruction): its numerics, for checking, slower than FP32");
        }
        return new CpuBackend(graph, options.Threads, gemmKind);
    }

    /// <summary>
    /// Releases the plans and the backend. Safe while other threads are in <c>Run</c>: those calls finish with their
    /// plan, which is disposed when they return (the last one disposes the backend); calls that start afterwards throw
    /// <see cref="ObjectDisposedException"/>. Nothing waits, so nothing can hang.
    /// </summary>
    public void Dispose()
    {
        var idle = new List<IExecutionPlan>();
        bool disposeBackend;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            for (var i = 0; i < _idle.Length; i++)
            {
                if (_idle[i] is { } plan)
                {
                    idle.Add(plan);
                    _idle[i] = null;
                }
            }
            disposeBackend = _inFlight == 0;
            _backendDisposed = disposeBackend;
        }
        foreach (var plan in idle)
        {
            plan.Dispose();
            Interlocked.Decrement(ref _livePlans);
        }
        if (disposeBackend)
        {
            DisposeEngine();
        }
    }

    /// <summary>
    /// An ensemble's members and weights, and a small pool of buffers for their logits (so that a Run after warm-up
    /// allocates nothing, and concurrent Runs each have their own).
    /// </summary>
    private sealed class EnsembleMembers(EnsembleManifest manifest, InferenceSession[] sessions, int poolSize)
    {
        private readonly float[]?[] _pool = new float[]?[poolSize];
        private readonly Lock _lock = new();

        public EnsembleManifest Manifest { get; } = manifest;

        public InferenceSession[] Sessions { get; } = sessions;

        public double[] Weights { get; } = manifest.Weights();

        /// <summary>The smallest pooled buffer of at least <paramref name="length"/> floats, or a new one.</summary>
        public float[] Rent(int length)
        {
            lock (_lock)
            {
                var best = -1;
                for (var i = 0; i < _pool.Length; i++)
                {
                    if (_pool[i] is { } b && b.Length >= length && (best < 0 || b.Length < _pool[best]!.Length))
                        best = i;
                }
                if (best >= 0)
                {
                    var buffer = _pool[best]!;
                    _pool[best] = null;
                    return buffer;
                }
            }
            return new float[length];
        }

        /// <summary>Keeps the buffer, in a free slot or in place of a smaller one (memory stays bounded).</summary>
        public void Return(float[] buffer)
        {
            lock (_lock)
            {
                var slot = -1;
                for (var i = 0; i < _pool.Length; i++)
                {
                    if (_pool[i] is null)
                    {
                        slot = i;
                        break;
                    }
                    if (_pool[i]!.Length < buffer.Length && (slot < 0 || _pool[i]!.Length < _pool[slot]!.Length))
                        slot = i;
                }
                if (slot >= 0)
                    _pool[slot] = buffer;
            }
        }
    }
}
