using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// cuDNN 9 entry points of the legacy descriptor API, declared exactly as in cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h (9.6.0).
/// All are exported by the shim libcudnn.so.9, which loads libcudnn_graph/_ops/_cnn on first use.
/// Scalars (alpha, beta) are host pointers to float for FLOAT, HALF and BFLOAT16 data (double only for DOUBLE data).
/// Device pointers are <c>CUdeviceptr</c> = <see cref="ulong"/>, streams <c>CUstream</c> = <see cref="nint"/>.
/// </summary>
internal static unsafe partial class CudnnApi
{
    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial nuint cudnnGetVersion();

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial nuint cudnnGetCudartVersion();

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetProperty(libraryPropertyType_t type, out int value);

    /// <summary>Returns a static string; never freed.</summary>
    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial byte* cudnnGetErrorString(cudnnStatus_t status);

    /// <summary>The most recent error message of this thread (cuDNN 9), written into a caller buffer.</summary>
    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial void cudnnGetLastErrorString(byte* message, nuint max_size);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnCreate(out nint handle);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnDestroy(nint handle);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetStream(CudnnHandle handle, nint streamId);

    // Tensors (cudnn_ops.h)

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnCreateTensorDescriptor(out nint tensorDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnDestroyTensorDescriptor(nint tensorDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetTensor4dDescriptor(TensorDescriptor tensorDesc, cudnnTensorFormat_t format,
        cudnnDataType_t dataType, int n, int c, int h, int w);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetTensor4dDescriptorEx(TensorDescriptor tensorDesc, cudnnDataType_t dataType,
        int n, int c, int h, int w, int nStride, int cStride, int hStride, int wStride);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetTensorSizeInBytes(TensorDescriptor tensorDesc, out nuint size);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnTransformTensor(CudnnHandle handle, void* alpha, TensorDescriptor xDesc, ulong x,
        void* beta, TensorDescriptor yDesc, ulong y);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnAddTensor(CudnnHandle handle, void* alpha, TensorDescriptor aDesc, ulong A,
        void* beta, TensorDescriptor cDesc, ulong C);

    // Filters (cudnn_ops.h)

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnCreateFilterDescriptor(out nint filterDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnDestroyFilterDescriptor(nint filterDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetFilter4dDescriptor(FilterDescriptor filterDesc, cudnnDataType_t dataType,
        cudnnTensorFormat_t format, int k, int c, int h, int w);

    // Activation, pooling, softmax (cudnn_ops.h)

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnCreateActivationDescriptor(out nint activationDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnDestroyActivationDescriptor(nint activationDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetActivationDescriptor(ActivationDescriptor activationDesc, cudnnActivationMode_t mode,
        cudnnNanPropagation_t reluNanOpt, double coef);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnActivationForward(CudnnHandle handle, ActivationDescriptor activationDesc,
        void* alpha, TensorDescriptor xDesc, ulong x, void* beta, TensorDescriptor yDesc, ulong y);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnCreatePoolingDescriptor(out nint poolingDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnDestroyPoolingDescriptor(nint poolingDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetPooling2dDescriptor(PoolingDescriptor poolingDesc, cudnnPoolingMode_t mode,
        cudnnNanPropagation_t maxpoolingNanOpt, int windowHeight, int windowWidth, int verticalPadding, int horizontalPadding,
        int verticalStride, int horizontalStride);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetPooling2dForwardOutputDim(PoolingDescriptor poolingDesc, TensorDescriptor inputTensorDesc,
        out int n, out int c, out int h, out int w);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnPoolingForward(CudnnHandle handle, PoolingDescriptor poolingDesc,
        void* alpha, TensorDescriptor xDesc, ulong x, void* beta, TensorDescriptor yDesc, ulong y);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSoftmaxForward(CudnnHandle handle, cudnnSoftmaxAlgorithm_t algo, cudnnSoftmaxMode_t mode,
        void* alpha, TensorDescriptor xDesc, ulong x, void* beta, TensorDescriptor yDesc, ulong y);

    // Convolution (cudnn_cnn.h)

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnCreateConvolutionDescriptor(out nint convDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnDestroyConvolutionDescriptor(nint convDesc);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetConvolution2dDescriptor(ConvolutionDescriptor convDesc, int pad_h, int pad_w,
        int u, int v, int dilation_h, int dilation_w, cudnnConvolutionMode_t mode, cudnnDataType_t computeType);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetConvolutionGroupCount(ConvolutionDescriptor convDesc, int groupCount);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnSetConvolutionMathType(ConvolutionDescriptor convDesc, cudnnMathType_t mathType);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(ConvolutionDescriptor convDesc,
        TensorDescriptor inputTensorDesc, FilterDescriptor filterDesc, out int n, out int c, out int h, out int w);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(CudnnHandle handle, out int count);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(CudnnHandle handle, TensorDescriptor srcDesc,
        FilterDescriptor filterDesc, ConvolutionDescriptor convDesc, TensorDescriptor destDesc, int requestedAlgoCount,
        out int returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(CudnnHandle handle, TensorDescriptor xDesc, ulong x,
        FilterDescriptor wDesc, ulong w, ConvolutionDescriptor convDesc, TensorDescriptor yDesc, ulong y, int requestedAlgoCount,
        out int returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults, ulong workSpace, nuint workSpaceSizeInBytes);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(CudnnHandle handle, TensorDescriptor xDesc,
        FilterDescriptor wDesc, ConvolutionDescriptor convDesc, TensorDescriptor yDesc, cudnnConvolutionFwdAlgo_t algo, out nuint sizeInBytes);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnConvolutionForward(CudnnHandle handle, void* alpha, TensorDescriptor xDesc, ulong x,
        FilterDescriptor wDesc, ulong w, ConvolutionDescriptor convDesc, cudnnConvolutionFwdAlgo_t algo, ulong workSpace,
        nuint workSpaceSizeInBytes, void* beta, TensorDescriptor yDesc, ulong y);

    [LibraryImport(NativeLibraryNames.Cudnn)]
    internal static partial cudnnStatus_t cudnnConvolutionBiasActivationForward(CudnnHandle handle, void* alpha1,
        TensorDescriptor xDesc, ulong x, FilterDescriptor wDesc, ulong w, ConvolutionDescriptor convDesc, cudnnConvolutionFwdAlgo_t algo,
        ulong workSpace, nuint workSpaceSizeInBytes, void* alpha2, TensorDescriptor zDesc, ulong z, TensorDescriptor biasDesc, ulong bias,
        ActivationDescriptor activationDesc, TensorDescriptor yDesc, ulong y);
}
