using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Blas;

/// <summary>Limits for the cuBLASLt algorithm heuristic (<c>cublasLtMatmulPreference_t</c>).</summary>
public sealed unsafe class MatmulPreference : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public MatmulPreference() : base(ownsHandle: true)
    {
    }

    /// <summary>Creates a preference (<c>cublasLtMatmulPreferenceCreate</c>); by default no workspace is allowed.</summary>
    public static MatmulPreference Create()
    {
        CublasLtStatus.Check(CublasLtApi.cublasLtMatmulPreferenceCreate(out var raw));
        var preference = new MatmulPreference();
        preference.SetHandle(raw);
        return preference;
    }

    /// <summary>The most workspace, in bytes, a returned algorithm may need (CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64).</summary>
    public void SetMaxWorkspaceBytes(ulong bytes)
    {
        var value = bytes;
        CublasLtStatus.Check(CublasLtApi.cublasLtMatmulPreferenceSetAttribute(this,
            cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &value, sizeof(ulong)));
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CublasLtStatus.Release(CublasLtApi.cublasLtMatmulPreferenceDestroy(handle));
}
