// bias_act.cu — fused per-channel affine (bias, or a folded BatchNorm's scale and shift), optional
// residual add and optional ReLU, elementwise. This is the epilogue after a convolution or a
// matrix multiply that cuDNN / cuBLASLt did not fuse: conv → BN → (+ identity) → ReLU in ResNet,
// Linear's bias in the head.
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// Math (the CPU twin implements exactly this definition):
//   x, residual, y: N × C × HW elements (HW = H·W spatial positions; HW = 1 for an [N, C] matrix),
//     layout NHWC, storage T ∈ {float, cg_half, cg_bf16}; scale and shift are C floats.
//   For each element (n, c, p):
//     v = float(x[n, c, p])
//     if scale != null:    v = fmaf(v, scale[c], shift != null ? shift[c] : 0)
//     else if shift != null: v = v + shift[c]
//     if residual != null: v = v + float(residual[n, c, p])
//     if relu:             v = relu(v)          (relu(v) = v < 0 ? 0 : v; NaN passes through)
//     y[n, c, p] = T(v)                         (round to nearest even for 16-bit T)
//   So with scale/shift a folded BatchNorm and residual the identity branch, y = relu(bn(conv) + identity),
//   PyTorch ResNet's block ending. fmaf rounds once where PyTorch's unfused x·scale + shift would round
//   twice (the results differ by at most an ulp or so; the CPU twin uses MathF.FusedMultiplyAdd).
//   Folding BatchNorm (eval): scale[c] = gamma[c] / sqrt(running_var[c] + eps),
//                             shift[c] = beta[c] − running_mean[c] · scale[c]   (computed on the host).
//
// Layout NHWC (the engine's activations): element (n, c, p) at (n·HW + p)·C + c, so c = i mod C.
//
// In place is allowed: y may equal x, or y may equal residual (each element is read, then written, by
// the same thread), so x, residual and y carry no __restrict__. Partial overlaps are not allowed.
//
// Launch: one thread per element, grid-stride loop, any 1-D grid (e.g. blockDim 256).

template <typename T>
__device__ __forceinline__ void bias_act(
    const T* x, const float* __restrict__ scale, const float* __restrict__ shift, const T* residual, T* y,
    int n_batch, int channels, int spatial, int relu)
{
    const long long total = static_cast<long long>(n_batch) * channels * spatial;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        const int c = static_cast<int>(i % channels);
        float v = cg_to_float(x[i]);
        if (scale != nullptr)
            v = fmaf(v, scale[c], shift != nullptr ? shift[c] : 0.0f);
        else if (shift != nullptr)
            v += shift[c];
        if (residual != nullptr)
            v += cg_to_float(residual[i]);
        if (relu)
            v = cg_relu(v);
        y[i] = cg_from_float<T>(v);
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points: bias_act_nhwc_<precision>, precision ∈ {f32, f16, bf16}.
// Arguments (the same for all three; T = float, cg_half or cg_bf16 as the name says):
//   x         const T*      input, N × C × HW elements NHWC (device memory)
//   scale     const float*  C per-channel multipliers in FP32 (folded BN), or null for 1
//   shift     const float*  C per-channel addends in FP32 (bias / folded BN shift), or null for 0
//   residual  const T*      N × C × HW elements NHWC, added after the affine, or null
//   y         T*            output, N × C × HW elements NHWC; may equal x or residual
//   n_batch   int           N (≥ 1)
//   channels  int           C (≥ 1)
//   spatial   int           HW = H·W positions per channel (≥ 1; 1 for an [N, C] matrix)
//   relu      int           non-zero: apply ReLU last
// ---------------------------------------------------------------------------------------------

// No __restrict__ on x, residual and y: y may alias either (see above).
#define CG_BIAS_ACT_ENTRY(NAME, T)                                                                          \
    extern "C" __global__ void NAME(const T* x, const float* __restrict__ scale, const float* __restrict__ shift, \
                                    const T* residual, T* y, int n_batch, int channels, int spatial, int relu)   \
    {                                                                                                         \
        bias_act<T>(x, scale, shift, residual, y, n_batch, channels, spatial, relu);                         \
    }

CG_BIAS_ACT_ENTRY(bias_act_nhwc_f32, float)
CG_BIAS_ACT_ENTRY(bias_act_nhwc_f16, cg_half)
CG_BIAS_ACT_ENTRY(bias_act_nhwc_bf16, cg_bf16)

#undef CG_BIAS_ACT_ENTRY
