// The test kernel of Nvrtc/NvrtcProgramTests and Gpu/KernelLaunchTests (embedded in the test assembly; the same
// text goes to NVRTC and, through tools/cuda-emulator/build.sh, into the emulated device's CPU build).
extern "C" __global__ void saxpy(float a, const float* x, float* y, int n)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = a * x[i] + y[i];
}
