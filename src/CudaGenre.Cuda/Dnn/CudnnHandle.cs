using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// A cuDNN context (<c>cudnnHandle_t</c>), bound to the CUDA context current when it was created. Not thread-safe:
/// one handle per stream. Every operation is asynchronous on the handle's stream and takes device pointers;
/// alpha and beta are host floats (y = alpha·op(x) + beta·y), valid for FLOAT, HALF and BFLOAT16 tensors.
/// </summary>
public sealed unsafe class CudnnHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public CudnnHandle() : base(ownsHandle: true)
    {
    }

    /// <summary>Creates a context (<c>cudnnCreate</c>). Needs a current CUDA context; fails with CUDNN_STATUS_NOT_INITIALIZED without a GPU.</summary>
    public static CudnnHandle Create()
    {
        CudnnStatus.Check(CudnnApi.cudnnCreate(out var raw));
        var handle = new CudnnHandle();
        handle.SetHandle(raw);
        return handle;
    }

    /// <summary>The loaded cuDNN's version as one number, major·10000 + minor·100 + patch for cuDNN 9 (e.g. 91300) (<c>cudnnGetVersion</c>).</summary>
    public static long LibraryVersion => (long)CudnnApi.cudnnGetVersion();

    /// <summary>The CUDA runtime version cuDNN was built against, e.g. 13000 (<c>cudnnGetCudartVersion</c>).</summary>
    public static long CudartVersion => (long)CudnnApi.cudnnGetCudartVersion();

    /// <summary>Makes later calls run on <paramref name="stream"/> (a <c>CUstream</c>; 0 = legacy default stream).</summary>
    public void SetStream(nint stream) => CudnnStatus.Check(CudnnApi.cudnnSetStream(this, stream));

    /// <summary>y = alpha·conv(x, w) + beta·y (<c>cudnnConvolutionForward</c>). Prefer <see cref="ConvolutionPlan"/>, which picks the algorithm and sizes the workspace.</summary>
    public void ConvolutionForward(TensorDescriptor xDesc, ulong x, FilterDescriptor wDesc, ulong w, ConvolutionDescriptor convolution,
        cudnnConvolutionFwdAlgo_t algorithm, ulong workspace, ulong workspaceBytes, TensorDescriptor yDesc, ulong y,
        float alpha = 1f, float beta = 0f)
    {
        RequireFloatScalars(yDesc);
        CudnnStatus.Check(CudnnApi.cudnnConvolutionForward(this, &alpha, xDesc, x, wDesc, w, convolution, algorithm, workspace,
            checked((nuint)workspaceBytes), &beta, yDesc, y));
    }

    /// <summary>
    /// y = act(alpha1·conv(x, w) + alpha2·z + bias) (<c>cudnnConvolutionBiasActivationForward</c>). z has y's shape
    /// (pass y itself with alpha2 = 0 when there is no residual); bias is 1×K×1×1. The activation must be RELU, or
    /// IDENTITY with <see cref="cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM"/>.
    /// </summary>
    public void ConvolutionBiasActivationForward(TensorDescriptor xDesc, ulong x, FilterDescriptor wDesc, ulong w,
        ConvolutionDescriptor convolution, cudnnConvolutionFwdAlgo_t algorithm, ulong workspace, ulong workspaceBytes,
        TensorDescriptor zDesc, ulong z, TensorDescriptor biasDesc, ulong bias, ActivationDescriptor activation,
        TensorDescriptor yDesc, ulong y, float alpha1 = 1f, float alpha2 = 0f)
    {
        RequireFloatScalars(yDesc);
        FusedConvolution.RequireSupported(activation.Mode, algorithm);
        CudnnStatus.Check(CudnnApi.cudnnConvolutionBiasActivationForward(this, &alpha1, xDesc, x, wDesc, w, convolution, algorithm, workspace,
            checked((nuint)workspaceBytes), &alpha2, zDesc, z, biasDesc, bias, activation, yDesc, y));
    }

    /// <summary>y = alpha·act(x) + beta·y (<c>cudnnActivationForward</c>); x and y may be the same buffer.</summary>
    public void ActivationForward(ActivationDescriptor activation, TensorDescriptor xDesc, ulong x, TensorDescriptor yDesc, ulong y,
        float alpha = 1f, float beta = 0f)
    {
        RequireFloatScalars(yDesc);
        CudnnStatus.Check(CudnnApi.cudnnActivationForward(this, activation, &alpha, xDesc, x, &beta, yDesc, y));
    }

    /// <summary>y = alpha·pool(x) + beta·y (<c>cudnnPoolingForward</c>).</summary>
    public void PoolingForward(PoolingDescriptor pooling, TensorDescriptor xDesc, ulong x, TensorDescriptor yDesc, ulong y,
        float alpha = 1f, float beta = 0f)
    {
        RequireFloatScalars(yDesc);
        CudnnStatus.Check(CudnnApi.cudnnPoolingForward(this, pooling, &alpha, xDesc, x, &beta, yDesc, y));
    }

    /// <summary>
    /// c = alpha·a + beta·c (<c>cudnnAddTensor</c>); a is broadcast where its size is 1, e.g. a 1×C×1×1 bias added to
    /// an N×C×H×W tensor.
    /// </summary>
    public void AddTensor(TensorDescriptor aDesc, ulong a, TensorDescriptor cDesc, ulong c, float alpha = 1f, float beta = 1f)
    {
        RequireFloatScalars(cDesc);
        CudnnStatus.Check(CudnnApi.cudnnAddTensor(this, &alpha, aDesc, a, &beta, cDesc, c));
    }

    /// <summary>
    /// y = alpha·x + beta·y between two layouts of the same dims (<c>cudnnTransformTensor</c>), e.g. NCHW → NHWC.
    /// </summary>
    public void TransformTensor(TensorDescriptor xDesc, ulong x, TensorDescriptor yDesc, ulong y, float alpha = 1f, float beta = 0f)
    {
        RequireFloatScalars(yDesc);
        CudnnStatus.Check(CudnnApi.cudnnTransformTensor(this, &alpha, xDesc, x, &beta, yDesc, y));
    }

    /// <summary>y = alpha·softmax(x) + beta·y (<c>cudnnSoftmaxForward</c>). For logits of N×classes, use an N×classes×1×1 tensor and CHANNEL mode.</summary>
    public void SoftmaxForward(cudnnSoftmaxAlgorithm_t algorithm, cudnnSoftmaxMode_t mode, TensorDescriptor xDesc, ulong x,
        TensorDescriptor yDesc, ulong y, float alpha = 1f, float beta = 0f)
    {
        RequireFloatScalars(yDesc);
        CudnnStatus.Check(CudnnApi.cudnnSoftmaxForward(this, algorithm, mode, &alpha, xDesc, x, &beta, yDesc, y));
    }

    // cuDNN reads alpha/beta as double for DOUBLE tensors; these wrappers pass floats.
    private static void RequireFloatScalars(TensorDescriptor output)
    {
        if (output.DataType == cudnnDataType_t.CUDNN_DATA_DOUBLE)
            throw new ArgumentException("these wrappers pass alpha and beta as float; cuDNN reads them as double for CUDNN_DATA_DOUBLE tensors", nameof(output));
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudnnStatus.Release(CudnnApi.cudnnDestroy(handle));
}
