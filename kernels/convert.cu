// convert.cu — the engine's two boundary conversions. The batch arrives from the host as FP32 NCHW; the
// activations live in the session's storage type, NHWC (input_nhwc_*). The classifier head runs in FP32 in
// every precision (it is a tiny part of the work and keeps the logits exact), so 16-bit features are widened
// to FP32 before it (widen_*).
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// Math (the CPU twin implements exactly this definition):
//   input_nhwc_<T>: x is N × C × HW floats, NCHW (element (n, c, p) at (n·C + c)·HW + p).
//     y[(n·HW + p)·C + c] = T(x[n, c, p])                      (round to nearest even for 16-bit T)
//   widen_<T>: y[i] = float(x[i]) for i < count (exact; widen_f32 is a plain copy).
//
// Launch: one thread per element, grid-stride loop, any 1-D grid (e.g. blockDim 256). x and y must not overlap.

template <typename T>
__device__ __forceinline__ void input_nhwc(const float* __restrict__ x, T* __restrict__ y, int n_batch, int channels, int spatial)
{
    const long long total = static_cast<long long>(n_batch) * channels * spatial;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        // i is the output's index; (n, c, p) with p = h·W + w for an H = 1, W = HW view.
        int n, c, h, p;
        cg_unravel_nhwc(i, channels, 1, spatial, n, c, h, p);
        y[i] = cg_from_float<T>(x[(static_cast<long long>(n) * channels + c) * spatial + p]);
    }
}

template <typename T>
__device__ __forceinline__ void widen(const T* __restrict__ x, float* __restrict__ y, long long count)
{
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step)
        y[i] = cg_to_float(x[i]);
}

// ---------------------------------------------------------------------------------------------
// Entry points: input_nhwc_<precision>, precision ∈ {f32, f16, bf16} (the output's).
// Arguments:
//   x         const float*  N × C × HW floats, NCHW (device memory)
//   y         T*            N × C × HW elements NHWC, in the entry's type; must not overlap x
//   n_batch   int           N (≥ 1)
//   channels  int           C (≥ 1)
//   spatial   int           HW = H·W (≥ 1)
// ---------------------------------------------------------------------------------------------

#define CG_INPUT_ENTRY(NAME, T)                                                                              \
    extern "C" __global__ void NAME(const float* __restrict__ x, T* __restrict__ y, int n_batch, int channels, \
                                    int spatial)                                                             \
    {                                                                                                        \
        input_nhwc<T>(x, y, n_batch, channels, spatial);                                                     \
    }

CG_INPUT_ENTRY(input_nhwc_f32, float)
CG_INPUT_ENTRY(input_nhwc_f16, cg_half)
CG_INPUT_ENTRY(input_nhwc_bf16, cg_bf16)

// ---------------------------------------------------------------------------------------------
// Entry points: widen_<precision>, precision ∈ {f32, f16, bf16} (the input's).
// Arguments:
//   x      const T*    count elements (device memory)
//   y      float*      count floats; must not overlap x
//   count  long long   number of elements (≥ 0)
// ---------------------------------------------------------------------------------------------

#define CG_WIDEN_ENTRY(NAME, T)                                                                           \
    extern "C" __global__ void NAME(const T* __restrict__ x, float* __restrict__ y, long long count)     \
    {                                                                                                     \
        widen<T>(x, y, count);                                                                            \
    }

CG_WIDEN_ENTRY(widen_f32, float)
CG_WIDEN_ENTRY(widen_f16, cg_half)
CG_WIDEN_ENTRY(widen_bf16, cg_bf16)

#undef CG_INPUT_ENTRY
#undef CG_WIDEN_ENTRY
