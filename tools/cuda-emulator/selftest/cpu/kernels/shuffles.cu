// shuffles.cu — selftest kernels for __shfl_xor_sync: a correct butterfly (full width and width 8) and a
// wrong one whose launch must fail naming line 37 (the selftest checks it).

// y[t] = Σ x over t's warp; z[t] = Σ x over t's group of 8 lanes; w[t] = the xor-8 read with width 8: lanes of
// the lower half of a 16-lane pair read the next group (past their segment: their own value), the upper half
// read the earlier group.
extern "C" __global__ void warp_sums(const float* x, float* y, float* z, float* w)
{
    const unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
    float v = x[t];
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    y[t] = v;
    float g = x[t];
    for (int offset = 4; offset > 0; offset >>= 1)
        g += __shfl_xor_sync(0xffffffffu, g, offset, 8);
    z[t] = g;
    w[t] = __shfl_xor_sync(0xffffffffu, x[t], 8, 8);
}

// Half-warp reduction with a 16-lane mask, in a block whose last warp has only 16 lanes (block 48).
extern "C" __global__ void half_warp_sums(const float* x, float* y)
{
    if (threadIdx.x % 32 >= 16)
        return;
    float v = x[threadIdx.x];
    for (int offset = 8; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0x0000ffffu, v, offset);
    y[threadIdx.x] = v;
}

// Wrong: lane 7 skips the shuffle that its warp's mask names (line 37).
extern "C" __global__ void shuffle_missing_lane(float* y)
{
    float v = static_cast<float>(threadIdx.x);
    if (threadIdx.x % 32 != 7)
        v += __shfl_xor_sync(0xffffffffu, v, 16);
    y[threadIdx.x] = v;
}
