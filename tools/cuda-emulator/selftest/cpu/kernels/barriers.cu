// barriers.cu — selftest kernels for __syncthreads: one correct (2-D block, shared memory), and three wrong
// ones whose launch must fail naming the sites below (the selftest checks these line numbers).

// y[blockIdx.x] = Σ of the block's linear thread indices, by a shared-memory tree (block 8×4×2 = 64 threads).
extern "C" __global__ void block_sum_2d(float* y)
{
    __shared__ float partial[64];
    const unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
    partial[t] = static_cast<float>(t);
    __syncthreads();
    for (unsigned half = 32; half > 0; half >>= 1)
    {
        if (t < half)
            partial[t] += partial[t + half];
        __syncthreads();
    }
    if (t == 0)
        y[blockIdx.x] = partial[0];
}

// Wrong: the two halves of the block wait at different barriers (lines 25 and 27).
extern "C" __global__ void divergent_barrier(float* y)
{
    if (threadIdx.x < 16)
        __syncthreads();
    else
        __syncthreads();
    y[threadIdx.x] = 1.0f;
}

// Wrong: thread 5 returns while the others wait at the barrier (line 36).
extern "C" __global__ void early_return(float* y)
{
    if (threadIdx.x == 5)
        return;
    __syncthreads();
    y[threadIdx.x] = 1.0f;
}

// Wrong: lanes 0…30 of warp 0 wait for lane 31 in a shuffle (line 46) while lane 31 and warp 1 wait at the
// block barrier (line 47) for them: every thread waits, none can go on.
extern "C" __global__ void barrier_deadlock(float* y)
{
    float v = static_cast<float>(threadIdx.x);
    if (threadIdx.x < 31)
        v = __shfl_xor_sync(0xffffffffu, v, 1);
    __syncthreads();
    y[threadIdx.x] = v;
}
