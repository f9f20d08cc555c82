using CudaGenre.Cuda.Blas;

namespace CudaGenre.Cuda.Tests;

/// <summary>
/// The BLAS definition of GEMM, column-major, written from the definition (not from our wrappers):
/// C[i + j·ldc] = alpha·Σp op(A)(i, p)·op(B)(p, j) + beta·C[i + j·ldc] (+ bias[i]) (then ReLU), with op(A)(i, p) = A[i + p·lda] or A[p + i·lda].
/// </summary>
internal static class BlasReference
{
    public static void Gemm(cublasOperation_t transA, cublasOperation_t transB, int m, int n, int k,
        float[] a, long lda, float[] b, long ldb, float[] c, long ldc, float[]? bias = null, bool relu = false,
        float alpha = 1f, float beta = 0f)
    {
        for (var j = 0; j < n; j++)
        {
            for (var i = 0; i < m; i++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transA == cublasOperation_t.CUBLAS_OP_N ? a[i + p * lda] : a[p + i * lda];
                    var bv = transB == cublasOperation_t.CUBLAS_OP_N ? b[p + j * ldb] : b[j + p * ldb];
                    sum += (double)av * bv;
                }
                sum *= alpha;
                if (beta != 0f)
                    sum += (double)beta * c[i + j * ldc];
                if (bias is not null)
                    sum += bias[i];
                if (relu)
                    sum = Math.Max(sum, 0);
                c[i + j * ldc] = (float)sum;
            }
        }
    }

    public static float[] RandomArray(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
