using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

/// <summary>Struct layouts against the C headers (x86-64 LP64: size_t 8 bytes, int/float/enum 4 bytes).</summary>
public class NativeLayoutTests
{
    // cublasLt.h (12.6.4): typedef struct { uint64_t data[8]; } cublasLtMatmulAlgo_t;
    [Fact]
    public void MatmulAlgo_IsEightUInt64()
    {
        Assert.Equal(64, Unsafe.SizeOf<cublasLtMatmulAlgo_t>());
        Assert.Equal(64, Marshal.SizeOf<cublasLtMatmulAlgo_t>());
    }

    // cublasLt.h: { cublasLtMatmulAlgo_t algo; size_t workspaceSize; cublasStatus_t state; float wavesCount; int reserved[4]; }
    [Fact]
    public void HeuristicResult_MatchesHeader()
    {
        Assert.Equal(96, Unsafe.SizeOf<cublasLtMatmulHeuristicResult_t>());
        Assert.Equal(96, Marshal.SizeOf<cublasLtMatmulHeuristicResult_t>());
        Assert.Equal(0, Offset<cublasLtMatmulHeuristicResult_t>("algo"));
        Assert.Equal(64, Offset<cublasLtMatmulHeuristicResult_t>("workspaceSize"));
        Assert.Equal(72, Offset<cublasLtMatmulHeuristicResult_t>("state"));
        Assert.Equal(76, Offset<cublasLtMatmulHeuristicResult_t>("wavesCount"));
        Assert.Equal(80, Offset<cublasLtMatmulHeuristicResult_t>("reserved"));
    }

    // cudnn_cnn.h (9.6.0): { algo; status; float time; size_t memory; determinism; mathType; int reserved[3]; }
    [Fact]
    public void ConvolutionFwdAlgoPerf_MatchesHeader()
    {
        Assert.Equal(48, Unsafe.SizeOf<cudnnConvolutionFwdAlgoPerf_t>());
        Assert.Equal(48, Marshal.SizeOf<cudnnConvolutionFwdAlgoPerf_t>());
        Assert.Equal(0, Offset<cudnnConvolutionFwdAlgoPerf_t>("algo"));
        Assert.Equal(4, Offset<cudnnConvolutionFwdAlgoPerf_t>("status"));
        Assert.Equal(8, Offset<cudnnConvolutionFwdAlgoPerf_t>("time"));
        Assert.Equal(16, Offset<cudnnConvolutionFwdAlgoPerf_t>("memory"));
        Assert.Equal(24, Offset<cudnnConvolutionFwdAlgoPerf_t>("determinism"));
        Assert.Equal(28, Offset<cudnnConvolutionFwdAlgoPerf_t>("mathType"));
        Assert.Equal(32, Offset<cudnnConvolutionFwdAlgoPerf_t>("reserved"));
    }

    // C enums are int-sized; the attribute-size arguments and struct fields rely on it.
    [Theory]
    [InlineData(typeof(cublasStatus_t))]
    [InlineData(typeof(cudnnStatus_t))]
    [InlineData(typeof(cudaDataType_t))]
    [InlineData(typeof(cublasComputeType_t))]
    [InlineData(typeof(cublasLtEpilogue_t))]
    [InlineData(typeof(cudnnMathType_t))]
    [InlineData(typeof(cudnnConvolutionFwdAlgo_t))]
    public void Enums_AreFourBytes(Type enumType) =>
        Assert.Equal(4, Marshal.SizeOf(Enum.GetUnderlyingType(enumType)));

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
