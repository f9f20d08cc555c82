// depthwise_conv3x3.cu — depthwise 3×3 convolution, zero padding 1, stride 1 or 2 (any stride ≥ 1),
// with an optional ReLU on the input, an optional per-channel bias and an optional ReLU on the output.
// Xception's separable convolution is ReLU → depthwise 3×3 → pointwise 1×1; this is its first half.
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// Math (the CPU twin implements exactly this definition):
//   Input x: N × C × H × W values (layout NHWC, see below), storage T ∈ {float, cg_half, cg_bf16}.
//   Weights w: C × 3 × 3 in storage T, index w[(c·3 + kh)·3 + kw] — PyTorch's depthwise weight of
//     shape [C, 1, 3, 3] flattened (channel multiplier 1): the host uploads
//     PyTorch's tensor unchanged (only converted to T for the 16-bit entries), no transposition.
//   Output y: N × C × Ho × Wo with Ho = (H − 1) / stride + 1, Wo = (W − 1) / stride + 1
//     (integer division; = floor((H + 2·1 − 3) / stride) + 1, as PyTorch's Conv2d(padding=1)).
//   For each n, c, oh, ow:
//     acc = 0 (float)
//     for kh in 0..2 (outer), kw in 0..2 (inner):
//       ih = oh·stride − 1 + kh,  iw = ow·stride − 1 + kw
//       if 0 ≤ ih < H and 0 ≤ iw < W:           (outside is zero padding: the tap is skipped)
//         v = float(x[n, c, ih, iw]);  if relu_input: v = relu(v)
//         acc = fmaf(float(w[c, kh, kw]), v, acc)
//     if bias != null: acc = acc + bias[c]
//     if relu_output:  acc = relu(acc)
//     y[n, c, oh, ow] = T(acc)                  (round to nearest even for 16-bit T)
//   relu(v) = v < 0 ? 0 : v  (NaN passes through).
//   Accumulation is always in FP32; FP16/BF16 are storage only.
//
// Layout NHWC (the engine's activations): element (n, c, h, w) at ((n·H + h)·W + w)·C + c.
//   (The same formula with Ho, Wo for y.)
//
// Launch: one thread per output element, grid-stride loop, any 1-D grid; e.g. blockDim 256,
// gridDim = min(ceil(N·C·Ho·Wo / 256), 65535·k). x and y must not overlap.

template <typename T>
__device__ __forceinline__ void depthwise3x3_nhwc(
    const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias, T* __restrict__ y,
    int n_batch, int channels, int height, int width, int stride, int relu_input, int relu_output)
{
    const int out_h = (height - 1) / stride + 1;
    const int out_w = (width - 1) / stride + 1;
    const long long total = static_cast<long long>(n_batch) * channels * out_h * out_w;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        int n, c, oh, ow;
        cg_unravel_nhwc(i, channels, out_h, out_w, n, c, oh, ow);

        const T* wc = w + c * 9;
        float acc = 0.0f;
        for (int kh = 0; kh < 3; ++kh)
        {
            const int ih = oh * stride - 1 + kh;
            if (ih < 0 || ih >= height)
                continue;
            for (int kw = 0; kw < 3; ++kw)
            {
                const int iw = ow * stride - 1 + kw;
                if (iw < 0 || iw >= width)
                    continue;
                const long long at = ((static_cast<long long>(n) * height + ih) * width + iw) * channels + c;
                float v = cg_to_float(x[at]);
                if (relu_input)
                    v = cg_relu(v);
                acc = fmaf(cg_to_float(wc[kh * 3 + kw]), v, acc);
            }
        }
        if (bias != nullptr)
            acc += bias[c];
        if (relu_output)
            acc = cg_relu(acc);
        // i is already the output's flat NHWC index.
        y[i] = cg_from_float<T>(acc);
    }
}

// The same convolution, NHWC only, each thread computing kStrip = 4 neighbouring outputs along W for Lanes = 1 or
// 4 neighbouring channels (4: one vector load, 16 bytes for float and 8 for the 16-bit types). Threads with
// consecutive indices take consecutive channel groups of the same strip, so every load of a warp is one run. The
// window is walked one input row at a time (kh outer): only that row's (3·stride + 3) columns × Lanes values and its
// 3 × Lanes weights are held in registers. Each output is still summed kh outer, kw inner, out-of-image taps
// skipped, then bias, then ReLU, so the result is bit-identical to depthwise3x3_nhwc_*.
constexpr int kStrip = 4;

// Lanes neighbouring values of T as floats: one scalar, or one vector access of 4.
template <typename T, int Lanes>
struct cg_lanes;

template <typename T>
struct cg_lanes<T, 1>
{
    __device__ __forceinline__ static void load(const T* p, float v[1]) { v[0] = cg_to_float(*p); }
    __device__ __forceinline__ static void store(T* p, const float v[1]) { *p = cg_from_float<T>(v[0]); }
};

template <>
struct cg_lanes<float, 4>
{
    __device__ __forceinline__ static void load(const float* p, float v[4])
    {
        const float4 q = *reinterpret_cast<const float4*>(p);
        v[0] = q.x; v[1] = q.y; v[2] = q.z; v[3] = q.w;
    }
    __device__ __forceinline__ static void store(float* p, const float v[4])
    {
        *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
    }
};

// Four 16-bit values as one 8-byte access (uint2), element 0 in the low half of .x (little-endian).
template <typename T>
struct cg_lanes16x4
{
    __device__ __forceinline__ static void load(const T* p, float v[4])
    {
        const uint2 q = *reinterpret_cast<const uint2*>(p);
        T e;
        e.bits = static_cast<unsigned short>(q.x & 0xffffu); v[0] = cg_to_float(e);
        e.bits = static_cast<unsigned short>(q.x >> 16);     v[1] = cg_to_float(e);
        e.bits = static_cast<unsigned short>(q.y & 0xffffu); v[2] = cg_to_float(e);
        e.bits = static_cast<unsigned short>(q.y >> 16);     v[3] = cg_to_float(e);
    }
    __device__ __forceinline__ static void store(T* p, const float v[4])
    {
        uint2 q;
        q.x = static_cast<unsigned int>(cg_from_float<T>(v[0]).bits) | (static_cast<unsigned int>(cg_from_float<T>(v[1]).bits) << 16);
        q.y = static_cast<unsigned int>(cg_from_float<T>(v[2]).bits) | (static_cast<unsigned int>(cg_from_float<T>(v[3]).bits) << 16);
        *reinterpret_cast<uint2*>(p) = q;
    }
};

template <>
struct cg_lanes<cg_half, 4> : cg_lanes16x4<cg_half>
{
};

template <>
struct cg_lanes<cg_bf16, 4> : cg_lanes16x4<cg_bf16>
{
};

// Stride and Lanes are template parameters so that every register index below is a compile-time constant (a
// runtime index would put the window in local memory). Lanes = 4 needs C a multiple of 4 and x, y 4-aligned.
template <typename T, int Stride, int Lanes>
__device__ __forceinline__ void depthwise3x3_strip_nhwc(
    const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias, T* __restrict__ y,
    int n_batch, int channels, int height, int width, int relu_input, int relu_output)
{
    constexpr int kColumns = (kStrip - 1) * Stride + 3;
    const int groups = channels / Lanes;
    const int out_h = (height - 1) / Stride + 1;
    const int out_w = (width - 1) / Stride + 1;
    const int strips = (out_w + kStrip - 1) / kStrip;
    const long long total = static_cast<long long>(n_batch) * out_h * strips * groups;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        long long rest = i;
        const int c0 = static_cast<int>(rest % groups) * Lanes; rest /= groups;
        const int strip = static_cast<int>(rest % strips); rest /= strips;
        const int oh = static_cast<int>(rest % out_h);
        const int n = static_cast<int>(rest / out_h);
        const int ow0 = strip * kStrip;
        const int iw0 = ow0 * Stride - 1;

        float acc[kStrip][Lanes];
#pragma unroll
        for (int o = 0; o < kStrip; ++o)
#pragma unroll
            for (int k = 0; k < Lanes; ++k)
                acc[o][k] = 0.0f;

#pragma unroll
        for (int kh = 0; kh < 3; ++kh)
        {
            const int ih = oh * Stride - 1 + kh;
            if (ih < 0 || ih >= height)
                continue;
            float wr[3][Lanes]; // this row's 3 taps of each channel
#pragma unroll
            for (int kw = 0; kw < 3; ++kw)
#pragma unroll
                for (int k = 0; k < Lanes; ++k)
                    wr[kw][k] = cg_to_float(w[(c0 + k) * 9 + kh * 3 + kw]);
            float v[kColumns][Lanes]; // an out-of-image column holds 0 but is never used (its tap is skipped)
#pragma unroll
            for (int j = 0; j < kColumns; ++j)
            {
                const int iw = iw0 + j;
                if (iw >= 0 && iw < width)
                {
                    cg_lanes<T, Lanes>::load(x + ((static_cast<long long>(n) * height + ih) * width + iw) * channels + c0, v[j]);
#pragma unroll
                    for (int k = 0; k < Lanes; ++k)
                        v[j][k] = relu_input ? cg_relu(v[j][k]) : v[j][k];
                }
                else
                {
#pragma unroll
                    for (int k = 0; k < Lanes; ++k)
                        v[j][k] = 0.0f;
                }
            }
#pragma unroll
            for (int o = 0; o < kStrip; ++o)
            {
#pragma unroll
                for (int kw = 0; kw < 3; ++kw)
                {
                    const int iw = (ow0 + o) * Stride - 1 + kw;
                    if (iw >= 0 && iw < width)
#pragma unroll
                        for (int k = 0; k < Lanes; ++k)
                            acc[o][k] = fmaf(wr[kw][k], v[o * Stride + kw][k], acc[o][k]);
                }
            }
        }

#pragma unroll
        for (int o = 0; o < kStrip; ++o)
        {
            const int ow = ow0 + o;
            if (ow >= out_w)
                continue;
#pragma unroll
            for (int k = 0; k < Lanes; ++k)
            {
                if (bias != nullptr)
                    acc[o][k] += bias[c0 + k];
                if (relu_output)
                    acc[o][k] = cg_relu(acc[o][k]);
            }
            cg_lanes<T, Lanes>::store(y + ((static_cast<long long>(n) * out_h + oh) * out_w + ow) * channels + c0, acc[o]);
        }
    }
}

template <typename T, int Stride>
__device__ __forceinline__ void depthwise3x3_w4_nhwc(
    const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias, T* __restrict__ y,
    int n_batch, int channels, int height, int width, int relu_input, int relu_output)
{
    depthwise3x3_strip_nhwc<T, Stride, 1>(x, w, bias, y, n_batch, channels, height, width, relu_input, relu_output);
}

template <typename T, int Stride>
__device__ __forceinline__ void depthwise3x3_v4_nhwc(
    const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias, T* __restrict__ y,
    int n_batch, int channels, int height, int width, int relu_input, int relu_output)
{
    depthwise3x3_strip_nhwc<T, Stride, 4>(x, w, bias, y, n_batch, channels, height, width, relu_input, relu_output);
}

// The same convolution, NHWC only, by tiles through shared memory: a block of 256 threads takes 4 output rows ×
// 8 output columns × 32 channels. It first loads the tile's input halo ((4−1)·stride + 3 rows × (8−1)·stride + 3
// columns × 32 channels, ReLU applied) with consecutive threads on consecutive channels, so every input value is read
// from global memory once per tile instead of up to 9 times through the caches. Then each thread computes one
// channel and one column for the 4 rows, from shared memory (consecutive lanes on consecutive channels: no bank
// conflicts). Each output is summed exactly as above, so the result is bit-identical to depthwise3x3_nhwc_*.
constexpr int kTileRows = 4;
constexpr int kTileColumns = 8;
constexpr int kTileChannels = 32;

template <typename T, int Stride>
__device__ __forceinline__ void depthwise3x3_tile_nhwc(
    const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias, T* __restrict__ y,
    int n_batch, int channels, int height, int width, int relu_input, int relu_output)
{
    constexpr int kRows = (kTileRows - 1) * Stride + 3;
    constexpr int kColumns = (kTileColumns - 1) * Stride + 3;
    __shared__ float halo[kRows][kColumns][kTileChannels];

    const int out_h = (height - 1) / Stride + 1;
    const int out_w = (width - 1) / Stride + 1;
    const int row_tiles = (out_h + kTileRows - 1) / kTileRows;
    const int column_tiles = (out_w + kTileColumns - 1) / kTileColumns;
    const int channel_tiles = (channels + kTileChannels - 1) / kTileChannels;
    const long long tiles = static_cast<long long>(n_batch) * row_tiles * column_tiles * channel_tiles;
    const int lane = threadIdx.x % kTileChannels;
    const int column = threadIdx.x / kTileChannels; // 0 … 7 with 256 threads

    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x)
    {
        long long rest = tile;
        const int c0 = static_cast<int>(rest % channel_tiles) * kTileChannels; rest /= channel_tiles;
        const int ow0 = static_cast<int>(rest % column_tiles) * kTileColumns; rest /= column_tiles;
        const int oh0 = static_cast<int>(rest % row_tiles) * kTileRows;
        const int n = static_cast<int>(rest / row_tiles);
        const int ih0 = oh0 * Stride - 1;
        const int iw0 = ow0 * Stride - 1;

        // The halo; positions outside the image (or channels past C) hold 0 but are never used.
        for (int e = threadIdx.x; e < kRows * kColumns * kTileChannels; e += blockDim.x)
        {
            const int ch = e % kTileChannels;
            const int j = (e / kTileChannels) % kColumns;
            const int r = e / (kTileChannels * kColumns);
            const int ih = ih0 + r, iw = iw0 + j, c = c0 + ch;
            float value = 0.0f;
            if (ih >= 0 && ih < height && iw >= 0 && iw < width && c < channels)
            {
                value = cg_to_float(x[((static_cast<long long>(n) * height + ih) * width + iw) * channels + c]);
                if (relu_input)
                    value = cg_relu(value);
            }
            halo[r][j][ch] = value;
        }
        __syncthreads();

        const int c = c0 + lane;
        const int ow = ow0 + column;
        if (c < channels && ow < out_w)
        {
            float wr[9];
#pragma unroll
            for (int k = 0; k < 9; ++k)
                wr[k] = cg_to_float(w[c * 9 + k]);
#pragma unroll
            for (int o = 0; o < kTileRows; ++o)
            {
                const int oh = oh0 + o;
                if (oh >= out_h)
                    break;
                float acc = 0.0f;
#pragma unroll
                for (int kh = 0; kh < 3; ++kh)
                {
                    const int ih = oh * Stride - 1 + kh;
                    if (ih < 0 || ih >= height)
                        continue;
#pragma unroll
                    for (int kw = 0; kw < 3; ++kw)
                    {
                        const int iw = ow * Stride - 1 + kw;
                        if (iw >= 0 && iw < width)
                            acc = fmaf(wr[kh * 3 + kw], halo[o * Stride + kh][column * Stride + kw][lane], acc);
                    }
                }
                if (bias != nullptr)
                    acc += bias[c];
                if (relu_output)
                    acc = cg_relu(acc);
                y[((static_cast<long long>(n) * out_h + oh) * out_w + ow) * channels + c] = cg_from_float<T>(acc);
            }
        }
        __syncthreads(); // the next tile overwrites the halo
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points: depthwise3x3_nhwc_<precision>, precision ∈ {f32, f16, bf16}.
// Arguments (the same for all three; T = float, cg_half or cg_bf16 as the name says):
//   x           const T*      input, N × C × H × W elements NHWC (device memory)
//   w           const T*      weights, C × 3 × 3 elements, w[(c·3 + kh)·3 + kw] (PyTorch [C,1,3,3])
//   bias        const float*  C per-channel biases in FP32, or null for none
//   y           T*            output, N × C × Ho × Wo elements NHWC; must not overlap x
//   n_batch     int           N, images in the batch (≥ 1)
//   channels    int           C (≥ 1)
//   height      int           H, input rows (≥ 1)
//   width       int           W, input columns (≥ 1)
//   stride      int           1 or 2 (any value ≥ 1 works); Ho = (H − 1)/stride + 1, Wo likewise
//   relu_input  int           non-zero: apply ReLU to each input value before the convolution
//   relu_output int           non-zero: apply ReLU after the bias
// ---------------------------------------------------------------------------------------------

#define CG_DEPTHWISE_ENTRY(NAME, T)                                                                         \
    extern "C" __global__ void NAME(const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias, \
                                    T* __restrict__ y, int n_batch, int channels, int height, int width,         \
                                    int stride, int relu_input, int relu_output)                                 \
    {                                                                                                             \
        depthwise3x3_nhwc<T>(x, w, bias, y, n_batch, channels, height, width, stride, relu_input, relu_output);  \
    }

CG_DEPTHWISE_ENTRY(depthwise3x3_nhwc_f32, float)
CG_DEPTHWISE_ENTRY(depthwise3x3_nhwc_f16, cg_half)
CG_DEPTHWISE_ENTRY(depthwise3x3_nhwc_bf16, cg_bf16)

// ---------------------------------------------------------------------------------------------
// Entry points of the three stride-specialised variants, each × precision ∈ {f32, f16, bf16}, with the same
// arguments and results as depthwise3x3_nhwc_*, for stride 1 or 2 only (any other stride is run as 2: the host
// must not pass one). Each is a grid-stride loop, any 1-D grid:
//   depthwise3x3w4_nhwc_*    one thread per (n, oh, strip of 4 outputs along W, c);
//                            e.g. blockDim 256, gridDim ⌈N·Ho·⌈Wo/4⌉·C / 256⌉.
//   depthwise3x3v4_nhwc_*    one thread per (n, oh, strip of 4 outputs along W, group of 4 channels); needs C a
//                            multiple of 4 and x, y aligned to 4 elements; e.g. gridDim ⌈N·Ho·⌈Wo/4⌉·C/4 / 256⌉.
//   depthwise3x3tile_nhwc_*  blockDim.x must be 256; one block per tile of 4 rows × 8 columns × 32 channels,
//                            N·⌈Ho/4⌉·⌈Wo/8⌉·⌈C/32⌉ tiles (e.g. gridDim = that). Shared memory: 26.6 KiB, static
//                            (the stride-1 and stride-2 halos, 7.5 and 19.1 KiB, are separate arrays).
// ---------------------------------------------------------------------------------------------

// BOUNDS: empty, or __launch_bounds__(…) for a kernel whose block size is fixed.
#define CG_DEPTHWISE_STRIDED_ENTRY(NAME, T, IMPL, BOUNDS)                                                      \
    extern "C" __global__ void BOUNDS NAME(const T* __restrict__ x, const T* __restrict__ w,                     \
                                           const float* __restrict__ bias, T* __restrict__ y, int n_batch,        \
                                           int channels, int height, int width, int stride, int relu_input,       \
                                           int relu_output)                                                       \
    {                                                                                                             \
        if (stride == 1)                                                                                         \
            IMPL<T, 1>(x, w, bias, y, n_batch, channels, height, width, relu_input, relu_output);                \
        else                                                                                                      \
            IMPL<T, 2>(x, w, bias, y, n_batch, channels, height, width, relu_input, relu_output);                \
    }

CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3w4_nhwc_f32, float, depthwise3x3_w4_nhwc, )
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3w4_nhwc_f16, cg_half, depthwise3x3_w4_nhwc, )
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3w4_nhwc_bf16, cg_bf16, depthwise3x3_w4_nhwc, )
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3v4_nhwc_f32, float, depthwise3x3_v4_nhwc, )
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3v4_nhwc_f16, cg_half, depthwise3x3_v4_nhwc, )
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3v4_nhwc_bf16, cg_bf16, depthwise3x3_v4_nhwc, )
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3tile_nhwc_f32, float, depthwise3x3_tile_nhwc, __launch_bounds__(256))
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3tile_nhwc_f16, cg_half, depthwise3x3_tile_nhwc, __launch_bounds__(256))
CG_DEPTHWISE_STRIDED_ENTRY(depthwise3x3tile_nhwc_bf16, cg_bf16, depthwise3x3_tile_nhwc, __launch_bounds__(256))

#undef CG_DEPTHWISE_ENTRY
#undef CG_DEPTHWISE_STRIDED_ENTRY
