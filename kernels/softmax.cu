// softmax.cu — row-wise softmax over the class dimension: logits (rows × classes) → probabilities in FP32.
// The model's last layer gives N × classes logits; this turns them into class probabilities.
//
// The host prepends precision.cuh's text before compiling this file with NVRTC (no #include here).
//
// Math (the CPU twin implements exactly this definition; it equals torch.softmax(x.float(), dim=1)):
//   x: rows × classes logits, row-major (element (r, j) at r·classes + j), storage T ∈ {float, cg_half, cg_bf16}.
//   y: rows × classes probabilities, row-major, always float.
//   For each row r:
//     m = max_j float(x[r, j])                  (exact; a NaN is skipped here but poisons s below)
//     s = Σ_j expf(float(x[r, j]) − m)          (FP32; the summation order is unspecified: lanes sum
//                                                strided partial sums, then a warp shuffle tree)
//     y[r, j] = expf(float(x[r, j]) − m) / s    (IEEE division; expf is CUDA's full-precision expf,
//                                                ≤ 2 ulp, as no fast-math option is used)
//   Subtracting the row maximum makes every exponent ≤ 0, so nothing overflows for any finite logits.
//   A NaN anywhere in a row makes the whole row NaN; a row containing +inf, or all −inf, gives NaN
//   (inf − inf), as PyTorch does. The CPU twin compares within a tolerance (expf and sum order differ).
//
// Launch: one warp per row. blockDim.x MUST be a multiple of 32 (e.g. 256 = 8 rows per block);
// gridDim.x e.g. ceil(rows / (blockDim.x / 32)); warps grid-stride over rows, so any grid works.
// Any classes ≥ 1 works (each lane loops over classes with stride 32); x and y must not overlap.

template <typename T>
__device__ __forceinline__ void softmax_rows(const T* __restrict__ x, float* __restrict__ y, int rows, int classes)
{
    const int lane = threadIdx.x & 31;
    const long long warps = (static_cast<long long>(gridDim.x) * blockDim.x) >> 5;
    // The row index is the same for all 32 lanes of a warp, so every shuffle below has the full warp.
    for (long long row = (static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; row < rows;
         row += warps)
    {
        const T* xr = x + row * classes;
        float* yr = y + row * classes;

        float m = -__int_as_float(0x7f800000); // −inf
        for (int j = lane; j < classes; j += 32)
            m = fmaxf(m, cg_to_float(xr[j]));
        for (int offset = 16; offset > 0; offset >>= 1)
            m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, offset));

        float s = 0.0f;
        for (int j = lane; j < classes; j += 32)
            s += expf(cg_to_float(xr[j]) - m);
        for (int offset = 16; offset > 0; offset >>= 1)
            s += __shfl_xor_sync(0xffffffffu, s, offset);

        for (int j = lane; j < classes; j += 32)
            yr[j] = expf(cg_to_float(xr[j]) - m) / s;
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points: softmax_<precision>, precision ∈ {f32, f16, bf16} = the storage type T of the logits.
// Arguments (T = float, cg_half or cg_bf16 as the name says):
//   x        const T*  logits, rows × classes, row-major (device memory)
//   y        float*    probabilities, rows × classes, row-major, FP32 for every T; must not overlap x
//   rows     int       N, rows (images) (≥ 1)
//   classes  int       classes per row (≥ 1; 10 for GTZAN, any size works)
// Launch: one warp per row, blockDim.x a multiple of 32 (e.g. 256), gridDim.x e.g.
//         ceil(rows / (blockDim.x / 32)).
// ---------------------------------------------------------------------------------------------

extern "C" __global__ void softmax_f32(const float* __restrict__ x, float* __restrict__ y, int rows, int classes)
{
    softmax_rows<float>(x, y, rows, classes);
}

extern "C" __global__ void softmax_f16(const cg_half* __restrict__ x, float* __restrict__ y, int rows, int classes)
{
    softmax_rows<cg_half>(x, y, rows, classes);
}

extern "C" __global__ void softmax_bf16(const cg_bf16* __restrict__ x, float* __restrict__ y, int rows, int classes)
{
    softmax_rows<cg_bf16>(x, y, rows, classes);
}
