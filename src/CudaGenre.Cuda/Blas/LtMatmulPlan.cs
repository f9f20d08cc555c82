namespace CudaGenre.Cuda.Blas;

/// <summary>
/// One cuBLASLt matmul shape, prepared once and run many times: the descriptors are built, the bias pointer bound
/// and an algorithm picked by the heuristic at creation; <see cref="Run"/> then only calls <c>cublasLtMatmul</c>
/// (no allocation, so it can be captured in a CUDA graph). The workspace is the caller's, at least <see cref="WorkspaceBytes"/>.
/// </summary>
public sealed class LtMatmulPlan : IDisposable
{
    private readonly CublasLtHandle _lt;
    private readonly MatmulDescriptor _operation;
    private readonly MatrixLayout _a, _b, _d;
    private readonly cublasLtMatmulAlgo_t _algorithm;

    private LtMatmulPlan(CublasLtHandle lt, LtMatmulSpec spec, MatmulDescriptor operation, MatrixLayout a, MatrixLayout b, MatrixLayout d,
        cublasLtMatmulHeuristicResult_t choice)
    {
        _lt = lt;
        Spec = spec;
        _operation = operation;
        _a = a;
        _b = b;
        _d = d;
        _algorithm = choice.algo;
        WorkspaceBytes = choice.workspaceSize;
        WavesCount = choice.wavesCount;
    }

    /// <summary>What this plan computes.</summary>
    public LtMatmulSpec Spec { get; }

    /// <summary>Workspace the chosen algorithm needs, in bytes (≤ the limit given at creation).</summary>
    public ulong WorkspaceBytes { get; }

    /// <summary>The heuristic's device-utilization estimate for the chosen algorithm (1.0 = one full wave).</summary>
    public float WavesCount { get; }

    /// <summary>
    /// Builds the descriptors for <paramref name="spec"/> and picks the heuristic's best algorithm that needs at most
    /// <paramref name="maxWorkspaceBytes"/> of workspace (32 MiB is NVIDIA's recommendation for Hopper).
    /// </summary>
    /// <param name="lt">The cuBLASLt context; it must outlive the plan.</param>
    /// <param name="spec">Shape, types, transposes and epilogue.</param>
    /// <param name="bias">Device pointer to the bias vector (M elements of the bias type) when the epilogue has a bias, else 0.</param>
    /// <param name="maxWorkspaceBytes">The most workspace the caller will provide.</param>
    /// <exception cref="ArgumentException">The spec is inconsistent, or the bias pointer is missing or superfluous.</exception>
    /// <exception cref="CudaException">cuBLASLt failed, or has no algorithm for this spec within the workspace limit.</exception>
    public static LtMatmulPlan Create(CublasLtHandle lt, LtMatmulSpec spec, ulong bias = 0, ulong maxWorkspaceBytes = 32UL << 20)
    {
        ArgumentNullException.ThrowIfNull(lt);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (spec.HasBias && bias == 0)
            throw new ArgumentException($"epilogue {spec.Epilogue} reads a bias vector, but no bias pointer was given", nameof(bias));
        if (!spec.HasBias && bias != 0)
            throw new ArgumentException($"a bias pointer was given, but epilogue {spec.Epilogue} does not add a bias", nameof(bias));

        MatmulDescriptor? operation = null;
        MatrixLayout? a = null, b = null, d = null;
        MatmulPreference? preference = null;
        try
        {
            operation = MatmulDescriptor.Create(spec.ComputeType, cudaDataType_t.CUDA_R_32F);
            operation.SetTransposeA(spec.TransA);
            operation.SetTransposeB(spec.TransB);
            operation.SetEpilogue(spec.Epilogue);
            if (spec.HasBias)
            {
                operation.SetBiasPointer(bias);
                if (spec.BiasType is { } biasType)
                    operation.SetBiasDataType(biasType);
            }
            a = MatrixLayout.Create(spec.AType, spec.AShape.Rows, spec.AShape.Columns, spec.EffectiveLda);
            b = MatrixLayout.Create(spec.BType, spec.BShape.Rows, spec.BShape.Columns, spec.EffectiveLdb);
            d = MatrixLayout.Create(spec.DType, spec.M, spec.N, spec.EffectiveLdd);
            preference = MatmulPreference.Create();
            preference.SetMaxWorkspaceBytes(maxWorkspaceBytes);

            var results = lt.GetHeuristic(operation, a, b, d, d, preference);
            var choice = Choose(results, maxWorkspaceBytes)
                ?? throw new CudaException(NativeLibraryNames.CublasLt,
                    $"cublasLtMatmulAlgoGetHeuristic found no algorithm for {spec} within {maxWorkspaceBytes} bytes of workspace " +
                    $"({results.Length} candidates, states: {string.Join(", ", results.Select(r => r.state))})");
            var plan = new LtMatmulPlan(lt, spec, operation, a, b, d, choice);
            operation = null;
            a = b = d = null;
            return plan;
        }
        finally
        {
            preference?.Dispose();
            operation?.Dispose();
            a?.Dispose();
            b?.Dispose();
            d?.Dispose();
        }
    }

    /// <summary>The first (best) heuristic result that succeeded and fits the workspace limit; null if none.</summary>
    internal static cublasLtMatmulHeuristicResult_t? Choose(IEnumerable<cublasLtMatmulHeuristicResult_t> results, ulong maxWorkspaceBytes)
    {
        foreach (var r in results)
        {
            if (r.state == cublasStatus_t.CUBLAS_STATUS_SUCCESS && r.workspaceSize <= maxWorkspaceBytes)
                return r;
        }
        return null;
    }

    /// <summary>
    /// D = epilogue(alpha·op(A)·op(B) + beta·C), asynchronous on <paramref name="stream"/>. C is D itself (in place), so
    /// beta = 0 (the default) overwrites D and beta = 1 accumulates into it. All pointers are device pointers.
    /// </summary>
    /// <param name="a">A as described by the spec.</param>
    /// <param name="b">B as described by the spec.</param>
    /// <param name="d">The output (and C).</param>
    /// <param name="workspace">Device workspace of at least <see cref="WorkspaceBytes"/> bytes (may be 0 when that is 0).</param>
    /// <param name="workspaceBytes">Its size in bytes.</param>
    /// <param name="stream">The <c>CUstream</c> to run on (0 = legacy default stream).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous D.</param>
    public void Run(ulong a, ulong b, ulong d, ulong workspace, ulong workspaceBytes, nint stream, float alpha = 1f, float beta = 0f)
    {
        if (workspaceBytes < WorkspaceBytes)
            throw new ArgumentException($"the chosen algorithm needs {WorkspaceBytes} bytes of workspace, {workspaceBytes} were given", nameof(workspaceBytes));
        _lt.Matmul(_operation, alpha, a, _a, b, _b, beta, d, _d, d, _d, _algorithm, workspace, workspaceBytes, stream);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _operation.Dispose();
        _a.Dispose();
        _b.Dispose();
        _d.Dispose();
    }
}
