using System.Runtime.InteropServices;
using CudaGenre.Core.Tensors;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Kernels.Launchers;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// How activations and convolution filters are stored on the device for a session's precision, and the cuDNN
/// settings that go with it. Sums are FP32 in every precision; the classifier head and the logits stay FP32.
/// </summary>
/// <param name="Element">The kernels' storage type (their entry points' precision suffix).</param>
/// <param name="Bytes">Bytes per element.</param>
/// <param name="DataType">cuDNN's name for the storage type.</param>
/// <param name="MathType">FMA only (exact FP32), tensor cores allowed (TF32), or tensor cores (16-bit).</param>
/// <param name="LinearCompute">cuBLASLt's compute type for the FP32 head: TF32 tensor cores in TF32, exact FP32 otherwise.</param>
internal sealed record CudaStorage(KernelStorage Element, int Bytes, cudnnDataType_t DataType, cudnnMathType_t MathType, cublasComputeType_t LinearCompute)
{
    public static CudaStorage For(Precision precision) => precision switch
    {
        Precision.Fp32 => new(KernelStorage.F32, 4, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnMathType_t.CUDNN_FMA_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F),
        Precision.Tf32 => new(KernelStorage.F32, 4, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnMathType_t.CUDNN_DEFAULT_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32),
        Precision.Fp16 => new(KernelStorage.F16, 2, cudnnDataType_t.CUDNN_DATA_HALF, cudnnMathType_t.CUDNN_TENSOR_OP_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F),
        Precision.Bf16 => new(KernelStorage.BF16, 2, cudnnDataType_t.CUDNN_DATA_BFLOAT16, cudnnMathType_t.CUDNN_TENSOR_OP_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown precision"),
    };

    /// <summary>Whether elements are FP32 (no conversion at the head).</summary>
    public bool IsFloat => Bytes == 4;

    /// <summary>The values in this storage type, little-endian bytes (16-bit types round to nearest even).</summary>
    public byte[] Encode(ReadOnlySpan<float> values)
    {
        if (IsFloat)
            return MemoryMarshal.AsBytes(values).ToArray();
        var bits = new ushort[values.Length];
        for (var i = 0; i < values.Length; i++)
            bits[i] = DataType == cudnnDataType_t.CUDNN_DATA_HALF ? ReducedPrecision.SingleToHalf(values[i]) : ReducedPrecision.SingleToBFloat16(values[i]);
        return MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
    }
}
