using System.Runtime.InteropServices;
using CudaGenre.Core.Tensors;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Kernels.Launchers;

namespace CudaGenre.Engine;

/// <summary>
/// What each <see cref="Precision"/> means, in one table: how activations and filters are stored on the device
/// (and so the kernels' entry-point suffix, the element size and cuDNN's data type, which follow from the storage
/// type), cuDNN's math type, cuBLASLt's compute type for the FP32 classifier head, the tolerance the tests hold its
/// logits to, and whether the CPU backend computes in it. Sums are FP32 in every precision; the head and the logits
/// stay FP32.
/// </summary>
public static class PrecisionTraits
{
    /// <param name="Storage">Storage type of activations and filters on the device.</param>
    /// <param name="CudnnMath">FMA only (exact FP32), tensor cores allowed (TF32), or tensor cores (16-bit).</param>
    /// <param name="HeadCompute">cuBLASLt's compute type for the FP32 head: TF32 tensor cores in TF32, exact FP32 otherwise.</param>
    /// <param name="LogitTolerance">Relative L2 error of the logits against FP32 references (the numerics contract).</param>
    /// <param name="RunsOnCpu">Whether the CPU backend has kernels for this precision (BF16 also needs AVX512_BF16 at run time: <c>CpuPrecision</c>).</param>
    /// <param name="RunsOnCuda">Whether the CUDA backend has kernels for this precision.</param>
    private sealed record Traits(KernelStorage Storage, cudnnMathType_t CudnnMath, cublasComputeType_t HeadCompute, double LogitTolerance, bool RunsOnCpu, bool RunsOnCuda = true);

    // Indexed by the enum's value. The tolerances are those of docs/DESIGN.md's numerics: 1e-4 is the FP32 contract
    // against PyTorch; the reduced ones are estimates from the formats' mantissa bits (10, 10, 7) over ~50 layers.
    // The CPU column is the single hook for CPU support of a precision (InferenceSession and the CPU backend read it).
    private static readonly Traits[] Table =
    [
        /* Fp32 */ new(KernelStorage.F32, cudnnMathType_t.CUDNN_FMA_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F, ReferenceComparison.Fp32Tolerance, RunsOnCpu: true),
        /* Tf32 */ new(KernelStorage.F32, cudnnMathType_t.CUDNN_DEFAULT_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32, 2e-2, RunsOnCpu: false),
        /* Fp16 */ new(KernelStorage.F16, cudnnMathType_t.CUDNN_TENSOR_OP_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F, 3e-2, RunsOnCpu: false),
        /* Bf16 */ new(KernelStorage.BF16, cudnnMathType_t.CUDNN_TENSOR_OP_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F, 1e-1, RunsOnCpu: true),
        // INT8 and INT16 are the CPU's alone (the CUDA columns are unused). INT8: 8-bit weights and 7-bit activations, like
        // BF16's 8-bit significand; INT16: 10 bits each, like FP16's 11.
        /* Int8 */ new(KernelStorage.F32, cudnnMathType_t.CUDNN_FMA_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F, 1e-1, RunsOnCpu: true, RunsOnCuda: false),
        /* Int16 */ new(KernelStorage.F32, cudnnMathType_t.CUDNN_FMA_MATH, cublasComputeType_t.CUBLAS_COMPUTE_32F, 3e-2, RunsOnCpu: true, RunsOnCuda: false),
    ];

    private static Traits Of(Precision precision) =>
        (uint)precision < (uint)Table.Length ? Table[(int)precision] : throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown precision");

    extension(Precision precision)
    {
        /// <summary>Storage type of activations and filters on the device; the kernels are compiled for it.</summary>
        public KernelStorage Storage => Of(precision).Storage;

        /// <summary>Bytes per stored activation or filter element (4 or 2).</summary>
        public int StorageBytes => Of(precision).Storage.Bytes();

        /// <summary>The precision part of the kernels' entry-point names ("f32", "f16", "bf16").</summary>
        public string KernelSuffix => Of(precision).Storage.Suffix();

        /// <summary>The relative L2 error of logits against FP32 references that the tests allow this precision.</summary>
        public double LogitTolerance => Of(precision).LogitTolerance;

        /// <summary>Whether the CPU backend has kernels for this precision (else it needs the CUDA backend); BF16 also needs a CPU with AVX512_BF16.</summary>
        public bool RunsOnCpu => Of(precision).RunsOnCpu;

        /// <summary>Whether the CUDA backend has kernels for this precision (INT8 is the CPU's only).</summary>
        public bool RunsOnCuda => Of(precision).RunsOnCuda;

        /// <summary>cuDNN's data type for activations and filters.</summary>
        internal cudnnDataType_t CudnnDataType => Of(precision).Storage.CudnnDataType();

        /// <summary>cuDNN's math type for convolutions.</summary>
        internal cudnnMathType_t CudnnMathType => Of(precision).CudnnMath;

        /// <summary>cuBLASLt's compute type for the FP32 classifier head.</summary>
        internal cublasComputeType_t HeadComputeType => Of(precision).HeadCompute;

        /// <summary><paramref name="values"/> in the storage type, little-endian bytes (16-bit types round to nearest even).</summary>
        internal byte[] Encode(ReadOnlySpan<float> values)
        {
            var storage = Of(precision).Storage;
            if (storage == KernelStorage.F32)
                return MemoryMarshal.AsBytes(values).ToArray();
            var bits = new ushort[values.Length];
            for (var i = 0; i < values.Length; i++)
                bits[i] = storage == KernelStorage.F16 ? ReducedPrecision.SingleToHalf(values[i]) : ReducedPrecision.SingleToBFloat16(values[i]);
            return MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
        }
    }
}
