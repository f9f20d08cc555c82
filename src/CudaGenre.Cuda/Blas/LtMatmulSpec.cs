namespace CudaGenre.Cuda.Blas;

/// <summary>
/// What an <see cref="LtMatmulPlan"/> computes: D (m×n) = epilogue(op(A)·op(B)), all column-major,
/// op(A) is m×k and op(B) is k×n. Leading dimensions of 0 mean "packed" (the stored rows of each matrix).
/// </summary>
/// <param name="M">Rows of op(A) and of D.</param>
/// <param name="N">Columns of op(B) and of D.</param>
/// <param name="K">Columns of op(A), rows of op(B).</param>
/// <param name="AType">Element type of A.</param>
/// <param name="BType">Element type of B.</param>
/// <param name="DType">Element type of C and D.</param>
/// <param name="ComputeType">Accumulation: CUBLAS_COMPUTE_32F (FP32 exact; also FP16/BF16 inputs with FP32 accumulate) or CUBLAS_COMPUTE_32F_FAST_TF32.</param>
/// <param name="TransA">op(A).</param>
/// <param name="TransB">op(B).</param>
/// <param name="Epilogue">CUBLASLT_EPILOGUE_DEFAULT, _RELU, _BIAS or _RELU_BIAS (bias: one value per row of D).</param>
/// <param name="BiasType">Bias element type; null = the type of D.</param>
/// <param name="Lda">Leading dimension of A as stored; 0 = packed.</param>
/// <param name="Ldb">Leading dimension of B as stored; 0 = packed.</param>
/// <param name="Ldd">Leading dimension of C and D; 0 = <paramref name="M"/>.</param>
public sealed record LtMatmulSpec(
    int M, int N, int K,
    cudaDataType_t AType, cudaDataType_t BType, cudaDataType_t DType,
    cublasComputeType_t ComputeType,
    cublasOperation_t TransA = cublasOperation_t.CUBLAS_OP_N,
    cublasOperation_t TransB = cublasOperation_t.CUBLAS_OP_N,
    cublasLtEpilogue_t Epilogue = cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT,
    cudaDataType_t? BiasType = null,
    long Lda = 0, long Ldb = 0, long Ldd = 0)
{
    /// <summary>
    /// Y = X·Wᵀ (+ b) with row-major X (rows×inFeatures), W (outFeatures×inFeatures, PyTorch's Linear weight layout)
    /// and Y (rows×outFeatures). Read column-major, the Y buffer is Yᵀ (out×rows), the W buffer is Wᵀ (in×out) and the
    /// X buffer is Xᵀ (in×rows), so Yᵀ = op_T(W buffer)·X buffer: m = out, n = rows, k = in, A = W with op T, B = X.
    /// Run the plan with a = W, b = X, d = Y. The bias (one value per row of D) is one value per output feature.
    /// </summary>
    public static LtMatmulSpec RowMajorLinear(int rows, int inFeatures, int outFeatures, cudaDataType_t dataType,
        cublasComputeType_t computeType, cublasLtEpilogue_t epilogue = cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT) =>
        new(outFeatures, rows, inFeatures, dataType, dataType, dataType, computeType,
            TransA: cublasOperation_t.CUBLAS_OP_T, TransB: cublasOperation_t.CUBLAS_OP_N, Epilogue: epilogue);

    /// <summary>Whether the epilogue reads the bias vector.</summary>
    public bool HasBias => Epilogue is cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS
        or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_GELU_BIAS;

    /// <summary>(rows, columns) of A as stored: m×k without transpose, k×m with.</summary>
    public (long Rows, long Columns) AShape => TransA == cublasOperation_t.CUBLAS_OP_N ? (M, K) : (K, M);

    /// <summary>(rows, columns) of B as stored: k×n without transpose, n×k with.</summary>
    public (long Rows, long Columns) BShape => TransB == cublasOperation_t.CUBLAS_OP_N ? (K, N) : (N, K);

    /// <summary>Leading dimension of A actually used.</summary>
    public long EffectiveLda => Lda == 0 ? AShape.Rows : Lda;

    /// <summary>Leading dimension of B actually used.</summary>
    public long EffectiveLdb => Ldb == 0 ? BShape.Rows : Ldb;

    /// <summary>Leading dimension of C and D actually used.</summary>
    public long EffectiveLdd => Ldd == 0 ? M : Ldd;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing that cannot work.</summary>
    public void Validate()
    {
        if (M <= 0 || N <= 0 || K <= 0)
            throw new ArgumentException($"matmul dimensions must be positive, got m={M}, n={N}, k={K}");
        if (EffectiveLda < AShape.Rows)
            throw new ArgumentException($"lda={EffectiveLda} is smaller than A's {AShape.Rows} stored rows");
        if (EffectiveLdb < BShape.Rows)
            throw new ArgumentException($"ldb={EffectiveLdb} is smaller than B's {BShape.Rows} stored rows");
        if (EffectiveLdd < M)
            throw new ArgumentException($"ldd={EffectiveLdd} is smaller than D's {M} rows");
        if (ComputeType is not (cublasComputeType_t.CUBLAS_COMPUTE_32F or cublasComputeType_t.CUBLAS_COMPUTE_32F_PEDANTIC
            or cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32 or cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_16F
            or cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_16BF))
        {
            throw new ArgumentException($"compute type {ComputeType} is not supported here: plans pass alpha and beta as float (scale type CUDA_R_32F)");
        }
        if (Epilogue is not (cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU
            or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS
            or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_GELU or cublasLtEpilogue_t.CUBLASLT_EPILOGUE_GELU_BIAS))
        {
            throw new ArgumentException($"epilogue {Epilogue} needs an auxiliary buffer or is for training; plans support DEFAULT, RELU, GELU and their _BIAS forms");
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"D({M}×{N}, {DType}) = {Epilogue}(op{TransA}(A {AType})·op{TransB}(B {BType})), k={K}, {ComputeType}";
}
