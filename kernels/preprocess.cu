// preprocess.cu — image preprocessing on the GPU: 8-bit RGB or RGBA pixels → resized, normalized model
// input, bit for bit what src/CudaGenre.Core/Imaging/ImagePreprocessor.cs computes on the CPU.
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// The resize is separable and table-driven: the host uploads the tap tables of Core's ResizeFilter
// (one for the width, one for the height; ResizeFilter.FirstTaps / TapCounts / Weights) and the kernel
// only applies them, so the GPU cannot drift from the CPU convention (torch interpolate bilinear,
// antialias=True, align_corners=False; see ImagePreprocessor's remarks).
//
// Tap tables of one axis (input length n → output length m):
//   first[i]   int     index of the first input pixel of output pixel i (0 ≤ i < m)
//   count[i]   int     number of taps of output pixel i; first[i] + count[i] ≤ n
//   weights[i·max_taps + k]  float   weight of input pixel first[i] + k, 0 ≤ k < count[i]
//   max_taps   int     the row stride of weights (ResizeFilter.MaxTaps)
//
// Math, exactly (every step one IEEE float32 operation rounded to nearest even; the kernel uses
// __fmul_rn / __fadd_rn so that NVRTC cannot contract a multiply and an add into an FMA, which the
// CPU code, compiled by .NET's JIT, never does either):
//   For each image n, output row oy, output column ox, channel c ∈ {R, G, B} (byte offsets 0, 1, 2 of a
//   pixel; a 4th byte, alpha, is ignored — dropped, not composited, as the CPU decoder does):
//     acc = 0
//     for kv in 0 .. v_count[oy]−1 (ascending):                       ← vertical (columns) pass, second
//       sy = v_first[oy] + kv
//       row = 0
//       for kh in 0 .. h_count[ox]−1 (ascending):                     ← horizontal (rows) pass, first
//         sx = h_first[ox] + kh
//         row = row + h_weights[ox·h_max_taps + kh] · float(src[n, sy, sx, c])
//       acc = acc + v_weights[oy·v_max_taps + kv] · row
//     out = acc · scale[c] + offset[c]                                 (a multiply, then an add)
//     y[n, oy, ox, c] = T(out)                                         (round to nearest even for 16-bit T)
//   The horizontal pass yields, for each input row, exactly the value ImagePreprocessor's pass 1 stores
//   (same taps, same order, same roundings); the kernel recomputes it per output pixel instead of
//   keeping a scratch buffer. scale[c] = 1f / (255f · std[c]) and offset[c] = −mean[c] / std[c], each
//   computed in float32 on the host (ImagePreprocessor.ChannelScale / ChannelOffset), which is
//   (v/255 − mean[c]) / std[c] with the division folded, as on the CPU.
//   Result: for T = float the output equals ImagePreprocessor.Process (NCHW) bit for bit, transposed to NHWC.
//
// Input: src points at the top-left pixel of image 0. Pixel (n, sy, sx) starts at byte
//   n·image_stride + sy·row_pitch + sx·pixel_bytes; pixel_bytes = 3 (RGB) or 4 (RGBA, alpha ignored).
//   row_pitch ≥ width·pixel_bytes (padding bytes are never read); image_stride ≥ height·row_pitch.
// Output layout NHWC (the engine's activations): element (n, c, oy, ox) at ((n·out_height + oy)·out_width + ox)·3 + c.
//
// Launch: one thread per output pixel (n, oy, ox), all 3 channels; grid-stride loop over
// N·out_height·out_width, any 1-D grid (e.g. blockDim 256, gridDim ceil(N·out_height·out_width / 256)).

template <typename T>
__device__ __forceinline__ void preprocess_nhwc(
    const unsigned char* __restrict__ src, long long row_pitch, long long image_stride, int pixel_bytes,
    const int* __restrict__ h_first, const int* __restrict__ h_count, const float* __restrict__ h_weights,
    int h_max_taps, const int* __restrict__ v_first, const int* __restrict__ v_count,
    const float* __restrict__ v_weights, int v_max_taps, float scale_r, float scale_g, float scale_b,
    float offset_r, float offset_g, float offset_b, T* __restrict__ y, int n_batch, int out_height,
    int out_width)
{
    const long long plane = static_cast<long long>(out_height) * out_width;
    const long long total = n_batch * plane;
    const long long step = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
    {
        const long long n = i / plane;
        const int oy = static_cast<int>((i % plane) / out_width);
        const int ox = static_cast<int>(i % out_width);

        const int hf = h_first[ox];
        const int hc = h_count[ox];
        const float* hw = h_weights + static_cast<long long>(ox) * h_max_taps;
        const int vf = v_first[oy];
        const int vc = v_count[oy];
        const float* vw = v_weights + static_cast<long long>(oy) * v_max_taps;

        float r = 0.0f, g = 0.0f, b = 0.0f;
        for (int kv = 0; kv < vc; ++kv)
        {
            const unsigned char* p = src + n * image_stride + (vf + kv) * row_pitch + static_cast<long long>(hf) * pixel_bytes;
            float rr = 0.0f, rg = 0.0f, rb = 0.0f;
            for (int kh = 0; kh < hc; ++kh)
            {
                const float w = hw[kh];
                rr = __fadd_rn(rr, __fmul_rn(w, static_cast<float>(p[0])));
                rg = __fadd_rn(rg, __fmul_rn(w, static_cast<float>(p[1])));
                rb = __fadd_rn(rb, __fmul_rn(w, static_cast<float>(p[2])));
                p += pixel_bytes;
            }
            const float w = vw[kv];
            r = __fadd_rn(r, __fmul_rn(w, rr));
            g = __fadd_rn(g, __fmul_rn(w, rg));
            b = __fadd_rn(b, __fmul_rn(w, rb));
        }
        r = __fadd_rn(__fmul_rn(r, scale_r), offset_r);
        g = __fadd_rn(__fmul_rn(g, scale_g), offset_g);
        b = __fadd_rn(__fmul_rn(b, scale_b), offset_b);

        y[i * 3] = cg_from_float<T>(r);
        y[i * 3 + 1] = cg_from_float<T>(g);
        y[i * 3 + 2] = cg_from_float<T>(b);
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points: preprocess_nhwc_<precision>, precision ∈ {f32, f16, bf16} = the output's storage type T
// (the arithmetic is FP32 in all three).
// Arguments (the same for all three):
//   src           const unsigned char*  pixels of image 0, interleaved R,G,B[,A] bytes (device memory)
//   row_pitch     long long             bytes from one pixel row to the next (≥ in_width · pixel_bytes)
//   image_stride  long long             bytes from one image to the next (unused when n_batch = 1)
//   pixel_bytes   int                   3 (RGB) or 4 (RGBA; alpha ignored)
//   h_first       const int*            out_width entries: first input column of each output column
//   h_count       const int*            out_width entries: taps of each output column
//   h_weights     const float*          out_width × h_max_taps weights (ResizeFilter.Weights of the width)
//   h_max_taps    int                   row stride of h_weights (ResizeFilter.MaxTaps)
//   v_first       const int*            out_height entries: first input row of each output row
//   v_count       const int*            out_height entries
//   v_weights     const float*          out_height × v_max_taps weights (ResizeFilter of the height)
//   v_max_taps    int                   row stride of v_weights
//   scale_r/g/b   float                 1 / (255 · std[c]) in float32 (ImagePreprocessor.ChannelScale)
//   offset_r/g/b  float                 −mean[c] / std[c] in float32 (ImagePreprocessor.ChannelOffset)
//   y             T*                    output, N × out_height × out_width × 3 (NHWC)
//   n_batch       int                   N, images (≥ 1); all share one size and one pair of tables
//   out_height    int                   output rows (= entries of v_first)
//   out_width     int                   output columns (= entries of h_first)
// ---------------------------------------------------------------------------------------------

#define CG_PREPROCESS_ENTRY(NAME, T)                                                                            \
    extern "C" __global__ void NAME(                                                                          \
        const unsigned char* __restrict__ src, long long row_pitch, long long image_stride, int pixel_bytes,  \
        const int* __restrict__ h_first, const int* __restrict__ h_count, const float* __restrict__ h_weights, \
        int h_max_taps, const int* __restrict__ v_first, const int* __restrict__ v_count,                     \
        const float* __restrict__ v_weights, int v_max_taps, float scale_r, float scale_g, float scale_b,     \
        float offset_r, float offset_g, float offset_b, T* __restrict__ y, int n_batch, int out_height,       \
        int out_width)                                                                                        \
    {                                                                                                         \
        preprocess_nhwc<T>(src, row_pitch, image_stride, pixel_bytes, h_first, h_count, h_weights,           \
                           h_max_taps, v_first, v_count, v_weights, v_max_taps, scale_r, scale_g, scale_b,    \
                           offset_r, offset_g, offset_b, y, n_batch, out_height, out_width);                  \
    }

CG_PREPROCESS_ENTRY(preprocess_nhwc_f32, float)
CG_PREPROCESS_ENTRY(preprocess_nhwc_f16, cg_half)
CG_PREPROCESS_ENTRY(preprocess_nhwc_bf16, cg_bf16)

#undef CG_PREPROCESS_ENTRY
