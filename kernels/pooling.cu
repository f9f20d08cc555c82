// pooling.cu — 2-D max pooling (kernel k, stride s, padding p) and global average pooling (→ N × C).
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// Storage T ∈ {float, cg_half, cg_bf16} for input and output; all comparisons and sums in FP32.
// Layout NHWC (the engine's activations): element (n, c, h, w) at ((n·H + h)·W + w)·C + c.
//
// Max pool (the CPU twin implements exactly this definition; it equals PyTorch's
// MaxPool2d(kernel, stride, padding), ceil_mode=False, dilation 1):
//   Ho = (H + 2·pad − kernel) / stride + 1,  Wo = (W + 2·pad − kernel) / stride + 1  (integer division;
//   the host must ensure H + 2·pad ≥ kernel and pad ≤ kernel / 2, as PyTorch does).
//   For each n, c, oh, ow:
//     m = −inf
//     for kh in 0..kernel−1 (outer), kw in 0..kernel−1 (inner):
//       ih = oh·stride − pad + kh,  iw = ow·stride − pad + kw
//       if 0 ≤ ih < H and 0 ≤ iw < W:  v = float(x[n, c, ih, iw]);  if v > m or v is NaN: m = v
//     y[n, c, oh, ow] = T(m)
//   Padding never wins (it is −inf, not 0). Once a NaN is taken it stays (NaN > v is false, and a later
//   NaN replaces it by NaN), so any NaN in the window gives NaN, as in PyTorch.
//   The maximum of 16-bit values converted to float is exactly representable: T(m) is exact.
//
// Global average pool:
//   y[n, c] = (Σ_{h, w} float(x[n, c, h, w])) / float(H·W), then T(·) (round to nearest even).
//   Output y is N × C, row-major (n·C + c). The FP32 sum runs over p = h·W + w ascending (the CPU twin
//   sums in the same order, so the two agree bit for bit).

template <typename T>
__device__ __forceinline__ void maxpool2d_nhwc(
    const T* __restrict__ x, T* __restrict__ y,
    int n_batch, int channels, int height, int width, int kernel, int stride, int pad)
{
    const int out_h = (height + 2 * pad - kernel) / stride + 1;
    const int out_w = (width + 2 * pad - kernel) / stride + 1;
    const long long total = static_cast<long long>(n_batch) * channels * out_h * out_w;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        int n, c, oh, ow;
        cg_unravel_nhwc(i, channels, out_h, out_w, n, c, oh, ow);

        float m = -__int_as_float(0x7f800000); // −inf
        for (int kh = 0; kh < kernel; ++kh)
        {
            const int ih = oh * stride - pad + kh;
            if (ih < 0 || ih >= height)
                continue;
            for (int kw = 0; kw < kernel; ++kw)
            {
                const int iw = ow * stride - pad + kw;
                if (iw < 0 || iw >= width)
                    continue;
                const long long at = ((static_cast<long long>(n) * height + ih) * width + iw) * channels + c;
                const float v = cg_to_float(x[at]);
                if (v > m || v != v)
                    m = v;
            }
        }
        y[i] = cg_from_float<T>(m);
    }
}

// NHWC: one thread per (n, c); consecutive threads read consecutive channels (coalesced).
template <typename T>
__device__ __forceinline__ void global_avgpool_nhwc(
    const T* __restrict__ x, T* __restrict__ y, int n_batch, int channels, int spatial)
{
    const long long total = static_cast<long long>(n_batch) * channels;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        const long long n = i / channels;
        const int c = static_cast<int>(i % channels);
        const T* base = x + n * spatial * channels + c;
        float sum = 0.0f;
        for (int p = 0; p < spatial; ++p)
            sum += cg_to_float(base[static_cast<long long>(p) * channels]);
        y[i] = cg_from_float<T>(sum / static_cast<float>(spatial));
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points: maxpool2d_nhwc_<precision>, precision ∈ {f32, f16, bf16}.
// Arguments (T = float, cg_half or cg_bf16 as the name says):
//   x         const T*  input, N × C × H × W elements NHWC (device memory)
//   y         T*        output, N × C × Ho × Wo elements NHWC; must not overlap x
//   n_batch   int       N (≥ 1)
//   channels  int       C (≥ 1)
//   height    int       H, input rows (≥ 1)
//   width     int       W, input columns (≥ 1)
//   kernel    int       window size k (square), ≥ 1
//   stride    int       s ≥ 1
//   pad       int       p, 0 ≤ p ≤ k / 2; Ho = (H + 2p − k)/s + 1, Wo likewise
// Launch: one thread per output element, grid-stride loop, any 1-D grid (e.g. blockDim 256).
// ---------------------------------------------------------------------------------------------

#define CG_MAXPOOL_ENTRY(NAME, T)                                                                          \
    extern "C" __global__ void NAME(const T* __restrict__ x, T* __restrict__ y, int n_batch, int channels, \
                                    int height, int width, int kernel, int stride, int pad)               \
    {                                                                                                      \
        maxpool2d_nhwc<T>(x, y, n_batch, channels, height, width, kernel, stride, pad);                   \
    }

CG_MAXPOOL_ENTRY(maxpool2d_nhwc_f32, float)
CG_MAXPOOL_ENTRY(maxpool2d_nhwc_f16, cg_half)
CG_MAXPOOL_ENTRY(maxpool2d_nhwc_bf16, cg_bf16)

// ---------------------------------------------------------------------------------------------
// Entry points: global_avgpool_nhwc_<precision>, precision ∈ {f32, f16, bf16}.
// Arguments (T = float, cg_half or cg_bf16 as the name says):
//   x         const T*  input, N × C × H × W elements NHWC (device memory)
//   y         T*        output, N × C elements, y[n·C + c]; must not overlap x
//   n_batch   int       N (≥ 1)
//   channels  int       C (≥ 1)
//   spatial   int       H·W (≥ 1)
// Launch: one thread per (n, c), grid-stride, any 1-D grid (e.g. blockDim 256).
// ---------------------------------------------------------------------------------------------

#define CG_AVGPOOL_ENTRY(NAME, T)                                                                          \
    extern "C" __global__ void NAME(const T* __restrict__ x, T* __restrict__ y, int n_batch, int channels, \
                                    int spatial)                                                           \
    {                                                                                                      \
        global_avgpool_nhwc<T>(x, y, n_batch, channels, spatial);                                          \
    }

CG_AVGPOOL_ENTRY(global_avgpool_nhwc_f32, float)
CG_AVGPOOL_ENTRY(global_avgpool_nhwc_f16, cg_half)
CG_AVGPOOL_ENTRY(global_avgpool_nhwc_bf16, cg_bf16)

#undef CG_MAXPOOL_ENTRY
#undef CG_AVGPOOL_ENTRY
