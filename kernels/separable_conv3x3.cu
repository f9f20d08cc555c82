// separable_conv3x3.cu — Xception's separable convolution in one kernel, NHWC:
//   (ReLU) → depthwise 3×3, zero padding 1, stride s (+ FP32 bias) (ReLU) → pointwise 1×1 (+ FP32 bias)
//   (+ residual) (ReLU).
// The depthwise result of a tile lives in shared memory only: it never goes to global memory and back, which
// is what the separate depthwise3x3 + cuDNN 1×1 convolution pay for. The plan times this kernel against that
// pair on each shape and keeps the faster (see CudaPlan.AddSeparable).
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// Math (the CPU twin implements exactly this definition):
//   x: N × H × W × C in storage T ∈ {float, cg_half, cg_bf16} (NHWC).
//   dw: C × 9 (T), PyTorch's depthwise weight [C, 1, 3, 3] as is. dw_bias: C floats, or null.
//   pw: K × C (T): the 1×1 filter [K, C, 1, 1], which is the same in KCRS and KRSC. pw_bias: K floats, or null.
//   residual: N × Ho × Wo × K (T), or null. y: N × Ho × Wo × K (T), Ho = (H − 1)/s + 1, Wo likewise.
//   1. d[n, oh, ow, c] = exactly depthwise3x3_nhwc_<T>(x, dw, dw_bias, relu_input, relu_mid) of
//      depthwise_conv3x3.cu, rounded to T as that kernel stores it. So each d equals the separate kernel's
//      output bit for bit, and the fused and the separate paths differ only in the 1×1 convolution's sum.
//   2. for each n, oh, ow, k:
//        acc = 0 (float)
//        for c = 0, 1, …, C − 1 (ascending):  acc = fmaf(d[n, oh, ow, c], float(pw[k·C + c]), acc)
//        if pw_bias != null: acc = acc + pw_bias[k]
//        if residual != null: acc = acc + float(residual[n, oh, ow, k])
//        if relu_output: acc = relu(acc)
//        y[n, oh, ow, k] = T(acc)                  (round to nearest even for 16-bit T)
//   relu(v) = v < 0 ? 0 : v (NaN passes through). Accumulation is always FP32.
//
// Tiling: a tile is 64 consecutive output pixels (n, oh, ow flattened) × 64 output channels. For each chunk of
// 16 input channels the block computes the tile's 64 × 16 depthwise values into shared memory (4 per thread,
// consecutive threads on consecutive channels so that each pixel's loads are one run), stages the chunk's
// 64 × 16 pointwise weights, and each thread adds the chunk to its 4 × 4 outputs (pixels tid/16 + 16i,
// channels tid%16 + 16j: conflict-free shared reads, and each store of 16 threads is one run). The depthwise
// values are recomputed for each of the K/64 channel tiles: 9 multiply-adds per 64 of the pointwise GEMM.

constexpr int kSepPixels = 64;  // output pixels per tile
constexpr int kSepOut = 64;     // output channels per tile
constexpr int kSepChunk = 16;   // input channels per step
constexpr int kSepThreads = 256;

template <typename T>
__device__ __forceinline__ void separable3x3_nhwc(
    const T* __restrict__ x, const T* __restrict__ dw, const float* __restrict__ dw_bias,
    const T* __restrict__ pw, const float* __restrict__ pw_bias, const T* residual, T* y,
    int n_batch, int channels, int height, int width, int out_channels, int stride,
    int relu_input, int relu_mid, int relu_output)
{
    // +1 column: the phase-A writes (16 channels × 2 pixels per warp) fall in distinct banks.
    __shared__ float d[kSepChunk][kSepPixels + 1];
    __shared__ float wt[kSepChunk][kSepOut + 1];

    const int out_h = (height - 1) / stride + 1;
    const int out_w = (width - 1) / stride + 1;
    const long long pixels = static_cast<long long>(n_batch) * out_h * out_w;
    const long long pixel_tiles = (pixels + kSepPixels - 1) / kSepPixels;
    const int out_tiles = (out_channels + kSepOut - 1) / kSepOut;
    const long long tiles = pixel_tiles * out_tiles;
    const int tid = threadIdx.x;
    const int lane_c = tid % kSepChunk;  // phase A: this thread's channel in the chunk
    const int lane_p = tid / kSepChunk;  // phase A: pixels lane_p + 16i
    const int own_k = tid % 16;          // phase B: output channels own_k + 16j
    const int own_p = tid / 16;          // phase B: pixels own_p + 16i

    // Consecutive tiles share their pixels (the output-channel tile varies fastest), so x is read from L2.
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x)
    {
        const long long p0 = (tile / out_tiles) * kSepPixels;
        const int k0 = static_cast<int>(tile % out_tiles) * kSepOut;

        // Phase A's 4 pixels: the batch image's first element, and the window's top-left input position.
        long long image[4];
        int ih0[4], iw0[4];
        bool valid[4];
#pragma unroll
        for (int i = 0; i < 4; ++i)
        {
            const long long p = p0 + lane_p + 16 * i;
            valid[i] = p < pixels;
            const long long q = valid[i] ? p : 0;
            const int ow = static_cast<int>(q % out_w);
            const int oh = static_cast<int>((q / out_w) % out_h);
            const long long n = q / (static_cast<long long>(out_w) * out_h);
            image[i] = n * height * width * static_cast<long long>(channels);
            ih0[i] = oh * stride - 1;
            iw0[i] = ow * stride - 1;
        }

        float acc[4][4];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j)
                acc[i][j] = 0.0f;

        for (int c0 = 0; c0 < channels; c0 += kSepChunk)
        {
            // Phase A: the depthwise values of this chunk, exactly as depthwise3x3 computes and stores them.
            const int c = c0 + lane_c;
            if (c < channels)
            {
                float wr[9];
#pragma unroll
                for (int t = 0; t < 9; ++t)
                    wr[t] = cg_to_float(dw[c * 9 + t]);
#pragma unroll
                for (int i = 0; i < 4; ++i)
                {
                    float v = 0.0f;
                    if (valid[i])
                    {
                        float s = 0.0f;
#pragma unroll
                        for (int kh = 0; kh < 3; ++kh)
                        {
                            const int ih = ih0[i] + kh;
                            if (ih < 0 || ih >= height)
                                continue;
#pragma unroll
                            for (int kw = 0; kw < 3; ++kw)
                            {
                                const int iw = iw0[i] + kw;
                                if (iw < 0 || iw >= width)
                                    continue;
                                float value = cg_to_float(x[image[i] + (static_cast<long long>(ih) * width + iw) * channels + c]);
                                if (relu_input)
                                    value = cg_relu(value);
                                s = fmaf(wr[kh * 3 + kw], value, s);
                            }
                        }
                        if (dw_bias != nullptr)
                            s += dw_bias[c];
                        if (relu_mid)
                            s = cg_relu(s);
                        v = cg_to_float(cg_from_float<T>(s));
                    }
                    d[lane_c][lane_p + 16 * i] = v;
                }
            }
            // The chunk's pointwise weights, wt[cc][kk] = pw[(k0 + kk)·C + c0 + cc]; consecutive threads read
            // consecutive input channels of one filter row.
            for (int e = tid; e < kSepChunk * kSepOut; e += kSepThreads)
            {
                const int cc = e % kSepChunk;
                const int kk = e / kSepChunk;
                const int k = k0 + kk;
                const int cin = c0 + cc;
                wt[cc][kk] = (k < out_channels && cin < channels) ? cg_to_float(pw[static_cast<long long>(k) * channels + cin]) : 0.0f;
            }
            __syncthreads();

            // Phase B: only the chunk's real channels, in ascending order (the sum order of the definition).
            const int chunk = min(kSepChunk, channels - c0);
            for (int cc = 0; cc < chunk; ++cc)
            {
                float a[4], b[4];
#pragma unroll
                for (int i = 0; i < 4; ++i)
                    a[i] = d[cc][own_p + 16 * i];
#pragma unroll
                for (int j = 0; j < 4; ++j)
                    b[j] = wt[cc][own_k + 16 * j];
#pragma unroll
                for (int i = 0; i < 4; ++i)
#pragma unroll
                    for (int j = 0; j < 4; ++j)
                        acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
            }
            __syncthreads();
        }

#pragma unroll
        for (int i = 0; i < 4; ++i)
        {
            const long long p = p0 + own_p + 16 * i;
            if (p >= pixels)
                continue;
#pragma unroll
            for (int j = 0; j < 4; ++j)
            {
                const int k = k0 + own_k + 16 * j;
                if (k >= out_channels)
                    continue;
                const long long at = p * out_channels + k;
                float v = acc[i][j];
                if (pw_bias != nullptr)
                    v += pw_bias[k];
                if (residual != nullptr)
                    v += cg_to_float(residual[at]);
                if (relu_output)
                    v = cg_relu(v);
                y[at] = cg_from_float<T>(v);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points: separable3x3_nhwc_<precision>, precision ∈ {f32, f16, bf16} (T = float, cg_half, cg_bf16).
// Arguments:
//   x            const T*      input, N × H × W × C (device memory)
//   dw           const T*      depthwise weights, C × 9 (PyTorch [C, 1, 3, 3])
//   dw_bias      const float*  C depthwise biases, or null
//   pw           const T*      pointwise weights, K × C (PyTorch [K, C, 1, 1])
//   pw_bias      const float*  K pointwise biases, or null
//   residual     const T*      N × Ho × Wo × K values added before the last ReLU, or null; may be y itself
//   y            T*            output, N × Ho × Wo × K; must not overlap x
//   n_batch, channels (C), height (H), width (W), out_channels (K)   int, each ≥ 1
//   stride       int           ≥ 1 (Xception: 1 or 2)
//   relu_input   int           non-zero: ReLU on each input value before the depthwise convolution
//   relu_mid     int           non-zero: ReLU on the depthwise result (after dw_bias)
//   relu_output  int           non-zero: ReLU after the residual
// Launch: blockDim.x must be 256 (the tile roles assume it). Grid-stride over ⌈N·Ho·Wo/64⌉ · ⌈K/64⌉ tiles,
// any 1-D grid; e.g. gridDim = the tile count. 8.3 KiB of static shared memory per block.
// ---------------------------------------------------------------------------------------------

#define CG_SEPARABLE_ENTRY(NAME, T)                                                                             \
    extern "C" __global__ void __launch_bounds__(kSepThreads) NAME(                                             \
        const T* __restrict__ x, const T* __restrict__ dw, const float* __restrict__ dw_bias,                   \
        const T* __restrict__ pw, const float* __restrict__ pw_bias, const T* residual, T* y,                   \
        int n_batch, int channels, int height, int width, int out_channels, int stride,                          \
        int relu_input, int relu_mid, int relu_output)                                                          \
    {                                                                                                             \
        separable3x3_nhwc<T>(x, dw, dw_bias, pw, pw_bias, residual, y, n_batch, channels, height, width,          \
                             out_channels, stride, relu_input, relu_mid, relu_output);                           \
    }

CG_SEPARABLE_ENTRY(separable3x3_nhwc_f32, float)
CG_SEPARABLE_ENTRY(separable3x3_nhwc_f16, cg_half)
CG_SEPARABLE_ENTRY(separable3x3_nhwc_bf16, cg_bf16)

#undef CG_SEPARABLE_ENTRY
