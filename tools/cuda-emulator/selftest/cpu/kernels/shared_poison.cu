// shared_poison.cu — __shared__ memory is per block and poisoned (0xFF bytes, NaN) when a block starts: block 0
// writes all 64 slots, block 1 only the even ones, so block 1's odd threads must read the poison, not block 0's
// values. Both paths to the cg_shared section: a static of an extern "C" function, and of a template
// function (a COMDAT symbol that build.sh moves there).
extern "C" __global__ void shared_poison(float* y)
{
    __shared__ float s[64];
    if (blockIdx.x == 0 || threadIdx.x % 2 == 0)
        s[threadIdx.x] = static_cast<float>(threadIdx.x);
    __syncthreads();
    y[blockIdx.x * 64 + threadIdx.x] = s[63 - threadIdx.x];
}

template <typename T>
__device__ __forceinline__ void poison_probe(T* y)
{
    __shared__ T s[64];
    if (blockIdx.x == 0 || threadIdx.x % 2 == 0)
        s[threadIdx.x] = static_cast<T>(threadIdx.x);
    __syncthreads();
    y[blockIdx.x * 64 + threadIdx.x] = s[63 - threadIdx.x];
}

extern "C" __global__ void shared_poison_template(float* y)
{
    poison_probe<float>(y);
}
