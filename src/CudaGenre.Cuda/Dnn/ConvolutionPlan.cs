namespace CudaGenre.Cuda.Dnn;

/// <summary>How a <see cref="ConvolutionPlan"/> is made.</summary>
public sealed record ConvolutionPlanOptions
{
    /// <summary>The most workspace, in bytes, the chosen algorithm may need. Default 256 MiB.</summary>
    public ulong MaxWorkspaceBytes { get; init; } = 256UL << 20;

    /// <summary>Only bitwise-reproducible algorithms. Default false.</summary>
    public bool RequireDeterministic { get; init; }

    /// <summary>
    /// The activation the plan will be run with through <see cref="ConvolutionPlan.ForwardBiasActivation"/>, if any:
    /// IDENTITY restricts the choice to IMPLICIT_PRECOMP_GEMM, the only algorithm cuDNN allows with it.
    /// </summary>
    public cudnnActivationMode_t? FusedActivation { get; init; }
}

/// <summary>
/// One convolution shape, prepared once: the output size is checked against the caller's output descriptor, an algorithm
/// is chosen (by cuDNN's heuristic, or by timing them all on real buffers), and the workspace is sized. Running it then
/// makes one cuDNN call and allocates nothing. The plan uses the descriptors it was made from (it does not own them),
/// and may narrow the convolution descriptor's math type to the one the chosen algorithm was found with.
/// </summary>
public sealed class ConvolutionPlan
{
    private readonly CudnnHandle _cudnn;

    private ConvolutionPlan(CudnnHandle cudnn, TensorDescriptor x, FilterDescriptor w, ConvolutionDescriptor convolution, TensorDescriptor y,
        cudnnConvolutionFwdAlgoPerf_t choice, ulong workspaceBytes)
    {
        _cudnn = cudnn;
        X = x;
        W = w;
        Convolution = convolution;
        Y = y;
        Algorithm = choice.algo;
        MathType = choice.mathType;
        Determinism = choice.determinism;
        Milliseconds = choice.time;
        WorkspaceBytes = workspaceBytes;
    }

    /// <summary>The input descriptor.</summary>
    public TensorDescriptor X { get; }

    /// <summary>The filter descriptor.</summary>
    public FilterDescriptor W { get; }

    /// <summary>The convolution descriptor.</summary>
    public ConvolutionDescriptor Convolution { get; }

    /// <summary>The output descriptor.</summary>
    public TensorDescriptor Y { get; }

    /// <summary>The chosen algorithm.</summary>
    public cudnnConvolutionFwdAlgo_t Algorithm { get; }

    /// <summary>The math type it runs with.</summary>
    public cudnnMathType_t MathType { get; }

    /// <summary>Whether it is bitwise reproducible.</summary>
    public cudnnDeterminism_t Determinism { get; }

    /// <summary>Measured time in ms when timed (<see cref="CreateByMeasurement"/>); cuDNN's estimate or -1 from the heuristic.</summary>
    public float Milliseconds { get; }

    /// <summary>Workspace the algorithm needs, in bytes.</summary>
    public ulong WorkspaceBytes { get; }

    /// <summary>Picks the algorithm with cuDNN's heuristic (<c>cudnnGetConvolutionForwardAlgorithm_v7</c>); needs no device buffers.</summary>
    /// <exception cref="ArgumentException">The output descriptor does not have the size the convolution produces.</exception>
    /// <exception cref="CudaException">cuDNN failed, or no algorithm fits the options.</exception>
    public static unsafe ConvolutionPlan CreateByHeuristic(CudnnHandle cudnn, TensorDescriptor x, FilterDescriptor w,
        ConvolutionDescriptor convolution, TensorDescriptor y, ConvolutionPlanOptions? options = null)
    {
        options ??= new ConvolutionPlanOptions();
        RequireOutputDims(x, w, convolution, y);
        var results = new cudnnConvolutionFwdAlgoPerf_t[MaxCount(cudnn)];
        int returned;
        fixed (cudnnConvolutionFwdAlgoPerf_t* p = results)
            CudnnStatus.Check(CudnnApi.cudnnGetConvolutionForwardAlgorithm_v7(cudnn, x, w, convolution, y, results.Length, out returned, p));
        return Choose(cudnn, x, w, convolution, y, results[..returned], options, "cudnnGetConvolutionForwardAlgorithm_v7");
    }

    /// <summary>
    /// Runs every algorithm on the given buffers and picks the fastest that fits the options
    /// (<c>cudnnFindConvolutionForwardAlgorithmEx</c>). <paramref name="yBuffer"/> is overwritten; the workspace given
    /// bounds what can be tried, so give at least <see cref="ConvolutionPlanOptions.MaxWorkspaceBytes"/>.
    /// Synchronizes with the device (it measures).
    /// </summary>
    public static unsafe ConvolutionPlan CreateByMeasurement(CudnnHandle cudnn, TensorDescriptor x, ulong xBuffer, FilterDescriptor w,
        ulong wBuffer, ConvolutionDescriptor convolution, TensorDescriptor y, ulong yBuffer, ulong workspace, ulong workspaceBytes,
        ConvolutionPlanOptions? options = null)
    {
        options ??= new ConvolutionPlanOptions();
        RequireOutputDims(x, w, convolution, y);
        var results = new cudnnConvolutionFwdAlgoPerf_t[MaxCount(cudnn)];
        int returned;
        fixed (cudnnConvolutionFwdAlgoPerf_t* p = results)
        {
            CudnnStatus.Check(CudnnApi.cudnnFindConvolutionForwardAlgorithmEx(cudnn, x, xBuffer, w, wBuffer, convolution, y, yBuffer,
                results.Length, out returned, p, workspace, checked((nuint)workspaceBytes)));
        }
        return Choose(cudnn, x, w, convolution, y, results[..returned], options with { MaxWorkspaceBytes = Math.Min(options.MaxWorkspaceBytes, workspaceBytes) },
            "cudnnFindConvolutionForwardAlgorithmEx");
    }

    /// <summary>
    /// A plan for an algorithm chosen before (e.g. measured in an earlier run and kept on disk): only its workspace is
    /// sized, so making the plan costs no search. Fails like the other factories if cuDNN refuses it.
    /// </summary>
    public static ConvolutionPlan CreateWithAlgorithm(CudnnHandle cudnn, TensorDescriptor x, FilterDescriptor w, ConvolutionDescriptor convolution,
        TensorDescriptor y, cudnnConvolutionFwdAlgo_t algorithm, cudnnMathType_t mathType, ConvolutionPlanOptions? options = null)
    {
        options ??= new ConvolutionPlanOptions();
        RequireOutputDims(x, w, convolution, y);
        var known = new cudnnConvolutionFwdAlgoPerf_t
        {
            algo = algorithm,
            status = cudnnStatus_t.CUDNN_STATUS_SUCCESS,
            time = -1,
            mathType = mathType,
            determinism = cudnnDeterminism_t.CUDNN_NON_DETERMINISTIC,
        };
        return Choose(cudnn, x, w, convolution, y, [known], options, "a known algorithm");
    }

    /// <summary>y = alpha·conv(x, w) + beta·y with the chosen algorithm. The workspace must hold <see cref="WorkspaceBytes"/>.</summary>
    public void Forward(ulong x, ulong w, ulong y, ulong workspace, ulong workspaceBytes, float alpha = 1f, float beta = 0f)
    {
        RequireWorkspace(workspaceBytes);
        _cudnn.ConvolutionForward(X, x, W, w, Convolution, Algorithm, workspace, workspaceBytes, Y, y, alpha, beta);
    }

    /// <summary>
    /// y = act(conv(x, w) + alpha2·z + bias) in one call (<c>cudnnConvolutionBiasActivationForward</c>). Without a residual
    /// (<paramref name="z"/> = 0) y itself is passed as z with alpha2 = 0. The bias descriptor is 1×K×1×1.
    /// </summary>
    public void ForwardBiasActivation(ulong x, ulong w, TensorDescriptor biasDesc, ulong bias, ActivationDescriptor activation, ulong y,
        ulong workspace, ulong workspaceBytes, ulong z = 0, float alpha2 = 0f)
    {
        RequireWorkspace(workspaceBytes);
        if (z == 0 && alpha2 != 0f)
            throw new ArgumentException("alpha2 scales the residual z, but no z was given", nameof(alpha2));
        _cudnn.ConvolutionBiasActivationForward(X, x, W, w, Convolution, Algorithm, workspace, workspaceBytes,
            Y, z == 0 ? y : z, biasDesc, bias, activation, Y, y, 1f, alpha2);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{X} * {W} ({Convolution.Geometry}) → {Y}: {Algorithm}, {MathType}, {WorkspaceBytes} B workspace, {Determinism}";

    /// <summary>
    /// The candidates cuDNN returned that suit the options, best first: succeeded, deterministic if required, the required
    /// algorithm if any, and a math type no more permissive than the one asked for (FMA &lt; DEFAULT &lt; TENSOR_OP &lt; ALLOW_CONVERSION),
    /// so that asking for exact FP32 never ends with TF32.
    /// </summary>
    internal static IEnumerable<cudnnConvolutionFwdAlgoPerf_t> Acceptable(IEnumerable<cudnnConvolutionFwdAlgoPerf_t> results,
        cudnnMathType_t requested, bool requireDeterministic, cudnnConvolutionFwdAlgo_t? requiredAlgorithm) =>
        results.Where(r => r.status == cudnnStatus_t.CUDNN_STATUS_SUCCESS
            && (!requireDeterministic || r.determinism == cudnnDeterminism_t.CUDNN_DETERMINISTIC)
            && (requiredAlgorithm is null || r.algo == requiredAlgorithm)
            && Permissiveness(r.mathType) <= Permissiveness(requested));

    /// <summary>Rank of a math type by how much it lets precision drop.</summary>
    internal static int Permissiveness(cudnnMathType_t mathType) => mathType switch
    {
        cudnnMathType_t.CUDNN_FMA_MATH => 0,
        cudnnMathType_t.CUDNN_DEFAULT_MATH => 1,
        cudnnMathType_t.CUDNN_TENSOR_OP_MATH => 2,
        _ => 3,
    };

    private static ConvolutionPlan Choose(CudnnHandle cudnn, TensorDescriptor x, FilterDescriptor w, ConvolutionDescriptor convolution,
        TensorDescriptor y, cudnnConvolutionFwdAlgoPerf_t[] results, ConvolutionPlanOptions options, string search)
    {
        var requested = convolution.MathType;
        var required = options.FusedActivation is { } activation ? FusedConvolution.RequiredAlgorithm(activation) : null;
        var candidates = Acceptable(results, requested, options.RequireDeterministic, required).ToList();
        // The heuristic may not list the algorithm a fused IDENTITY needs; it is still usable if cuDNN can size its workspace.
        if (candidates.Count == 0 && required is { } algorithm)
        {
            candidates.Add(new cudnnConvolutionFwdAlgoPerf_t
            {
                algo = algorithm,
                status = cudnnStatus_t.CUDNN_STATUS_SUCCESS,
                time = -1,
                mathType = requested,
                determinism = cudnnDeterminism_t.CUDNN_DETERMINISTIC,
            });
        }
        foreach (var candidate in candidates)
        {
            if (candidate.mathType != convolution.MathType)
                convolution.SetMathType(candidate.mathType);
            var status = CudnnApi.cudnnGetConvolutionForwardWorkspaceSize(cudnn, x, w, convolution, y, candidate.algo, out var bytes);
            if (status == cudnnStatus_t.CUDNN_STATUS_SUCCESS && bytes <= options.MaxWorkspaceBytes)
                return new ConvolutionPlan(cudnn, x, w, convolution, y, candidate, bytes);
        }
        if (convolution.MathType != requested)
            convolution.SetMathType(requested);
        var seen = string.Join("; ", results.Select(r => $"{r.algo} {r.status} {r.mathType} {r.memory} B"));
        throw new CudaException(NativeLibraryNames.Cudnn,
            $"{search} offered no algorithm for {x} * {w} ({convolution.Geometry}) → {y} with math type {requested}, " +
            $"at most {options.MaxWorkspaceBytes} B workspace{(options.RequireDeterministic ? ", deterministic" : "")}" +
            $"{(required is null ? "" : $", algorithm {required}")}; candidates: {(seen.Length == 0 ? "none" : seen)}");
    }

    private static void RequireOutputDims(TensorDescriptor x, FilterDescriptor w, ConvolutionDescriptor convolution, TensorDescriptor y)
    {
        var produced = convolution.GetForwardOutputDims(x, w);
        if (produced != y.Dims)
        {
            throw new ArgumentException(
                $"the convolution of {x} by {w} with {convolution.Geometry} produces {produced}, but the output descriptor is {y.Dims}", nameof(y));
        }
    }

    private static int MaxCount(CudnnHandle cudnn)
    {
        CudnnStatus.Check(CudnnApi.cudnnGetConvolutionForwardAlgorithmMaxCount(cudnn, out var count));
        return Math.Max(count, 1);
    }

    private void RequireWorkspace(ulong workspaceBytes)
    {
        if (workspaceBytes < WorkspaceBytes)
            throw new ArgumentException($"the chosen algorithm {Algorithm} needs {WorkspaceBytes} bytes of workspace, {workspaceBytes} were given", nameof(workspaceBytes));
    }
}
