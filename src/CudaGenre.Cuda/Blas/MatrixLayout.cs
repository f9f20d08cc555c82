using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// A cuBLASLt matrix layout (<c>cublasLtMatrixLayout_t</c>): element type, rows, columns, leading dimension, order, batching.
/// Default order is column-major: element (i, j) is at i + j·ld.
/// </summary>
public sealed unsafe class MatrixLayout : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public MatrixLayout() : base(ownsHandle: true)
    {
    }

    /// <summary>Element type.</summary>
    public cudaDataType_t Type { get; private set; }

    /// <summary>Rows.</summary>
    public long Rows { get; private set; }

    /// <summary>Columns.</summary>
    public long Columns { get; private set; }

    /// <summary>Leading dimension in elements.</summary>
    public long LeadingDimension { get; private set; }

    /// <summary>Creates a layout (<c>cublasLtMatrixLayoutCreate</c>).</summary>
    /// <param name="type">Element type.</param>
    /// <param name="rows">Rows (≥ 1).</param>
    /// <param name="columns">Columns (≥ 1).</param>
    /// <param name="leadingDimension">Elements between the starts of two columns (column-major), at least <paramref name="rows"/>.</param>
    public static MatrixLayout Create(cudaDataType_t type, long rows, long columns, long leadingDimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(leadingDimension, rows);
        CublasLtStatus.Check(CublasLtApi.cublasLtMatrixLayoutCreate(out var raw, type, (ulong)rows, (ulong)columns, leadingDimension));
        var layout = new MatrixLayout { Type = type, Rows = rows, Columns = columns, LeadingDimension = leadingDimension };
        layout.SetHandle(raw);
        return layout;
    }

    /// <summary>Memory order (CUBLASLT_MATRIX_LAYOUT_ORDER, int32). The leading dimension then means the stride of that order.</summary>
    public void SetOrder(cublasLtOrder_t order) => Set(cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_ORDER, (int)order);

    /// <summary>Number of matrices in a strided batch (CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, int32).</summary>
    public void SetBatchCount(int count) => Set(cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count);

    /// <summary>Elements between consecutive matrices of a batch (CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, int64).</summary>
    public void SetStridedBatchOffset(long elements) => Set(cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, elements);

    private void Set<T>(cublasLtMatrixLayoutAttribute_t attribute, T value) where T : unmanaged =>
        CublasLtStatus.Check(CublasLtApi.cublasLtMatrixLayoutSetAttribute(this, attribute, &value, (nuint)sizeof(T)));

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CublasLtStatus.Release(CublasLtApi.cublasLtMatrixLayoutDestroy(handle));
}
