// sanitizer_victims.cu — kernels with a bug that only a sanitizer shows; the selftest runs each in a child
// process of the matching flavour and expects the sanitizer to stop it.

// AddressSanitizer: the bound is off by one, so thread n reads one float past the end of x.
extern "C" __global__ void read_past_end(const float* x, float* y, int n)
{
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i <= n)
        y[i % n] = x[i];
}

// UndefinedBehaviorSanitizer: a float4 load from an address that is only 4-byte aligned (line 15).
extern "C" __global__ void misaligned_float4(const float* x, float* y)
{
    const float4 q = *reinterpret_cast<const float4*>(x + 1 + 4 * threadIdx.x);
    y[threadIdx.x] = q.x + q.y + q.z + q.w;
}

// ThreadSanitizer: each thread reads its neighbour's shared slot with no __syncthreads after the writes.
extern "C" __global__ void missing_barrier(float* y)
{
    __shared__ float s[256];
    s[threadIdx.x] = static_cast<float>(threadIdx.x);
    y[threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x];
}
