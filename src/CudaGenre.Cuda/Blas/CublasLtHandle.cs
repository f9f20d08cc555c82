using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// A cuBLASLt context (<c>cublasLtHandle_t</c>). Unlike a cuBLAS handle it carries no stream: each matmul names its own.
/// It may be shared by threads. Matrices are column-major unless a layout says otherwise.
/// </summary>
public sealed unsafe class CublasLtHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public CublasLtHandle() : base(ownsHandle: true)
    {
    }

    /// <summary>Creates a context (<c>cublasLtCreate</c>).</summary>
    public static CublasLtHandle Create()
    {
        CublasLtStatus.Check(CublasLtApi.cublasLtCreate(out var raw));
        var handle = new CublasLtHandle();
        handle.SetHandle(raw);
        return handle;
    }

    /// <summary>The loaded cuBLASLt's version as one number, e.g. 130002 for 13.0.2 (<c>cublasLtGetVersion</c>).</summary>
    public static long LibraryVersion => (long)CublasLtApi.cublasLtGetVersion();

    /// <summary>
    /// Asks the heuristic for up to <paramref name="requestedCount"/> algorithms, best first
    /// (<c>cublasLtMatmulAlgoGetHeuristic</c>). Entries whose <c>state</c> is not success are kept, so the caller sees them.
    /// </summary>
    public cublasLtMatmulHeuristicResult_t[] GetHeuristic(MatmulDescriptor operation, MatrixLayout a, MatrixLayout b,
        MatrixLayout c, MatrixLayout d, MatmulPreference preference, int requestedCount = 8)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestedCount);
        var results = new cublasLtMatmulHeuristicResult_t[requestedCount];
        int returned;
        fixed (cublasLtMatmulHeuristicResult_t* p = results)
            CublasLtStatus.Check(CublasLtApi.cublasLtMatmulAlgoGetHeuristic(this, operation, a, b, c, d, preference, requestedCount, p, out returned));
        return results[..returned];
    }

    /// <summary>
    /// D = epilogue(alpha·op(A)·op(B) + beta·C) (<c>cublasLtMatmul</c>), asynchronous on <paramref name="stream"/>.
    /// alpha and beta are host floats, so the descriptor's scale type must be CUDA_R_32F. C may equal D (in place) when
    /// their layouts match. <paramref name="algorithm"/> comes from <see cref="GetHeuristic"/>; the workspace must be at least
    /// that result's workspaceSize bytes.
    /// </summary>
    public void Matmul(MatmulDescriptor operation, float alpha, ulong a, MatrixLayout aLayout, ulong b, MatrixLayout bLayout,
        float beta, ulong c, MatrixLayout cLayout, ulong d, MatrixLayout dLayout, in cublasLtMatmulAlgo_t algorithm,
        ulong workspace, ulong workspaceBytes, nint stream)
    {
        fixed (cublasLtMatmulAlgo_t* algo = &algorithm)
        {
            CublasLtStatus.Check(CublasLtApi.cublasLtMatmul(this, operation, &alpha, a, aLayout, b, bLayout, &beta, c, cLayout, d, dLayout,
                algo, workspace, checked((nuint)workspaceBytes), stream));
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CublasLtStatus.Release(CublasLtApi.cublasLtDestroy(handle));
}
