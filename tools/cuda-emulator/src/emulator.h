// emulator.h — the one interface between the emulated driver (driver.cpp: libcuda.so.1's entry points) and
// the CPU-compiled kernels (kernels/*.cu built with shim/cuda_cpu.h, run by runtime.cpp).
#pragma once

#include <cstddef>
#include <string>

namespace cg_emu
{
struct Dim3
{
    unsigned x, y, z;
};

// One parameter of a CPU-compiled kernel, from its C++ type (the template in shim/cuda_cpu.h deduces it).
struct Param
{
    std::size_t size;  // sizeof the C++ parameter type
    std::size_t align; // alignof it
    bool pointer;      // a pointer (device address): must be null or inside one live allocation
};

constexpr int kMaxParams = 32;

// A kernel entry point compiled for the CPU.
struct Kernel
{
    const char* name; // its extern "C" name, as in the PTX
    const char* file; // the .cu file it came from
    int param_count;
    Param params[kMaxParams];
    // Runs the kernel body once as the calling CUDA thread; args[i] points at parameter i's value.
    void (*thread_body)(void* const* args);
};

// The CPU-compiled kernel of this name, or null. Every kernel file of the build registers its entry points.
const Kernel* find_kernel(const char* name);
int kernel_count();
const Kernel* kernel_at(int index);

// Runs a whole grid on the CPU: blocks one after another, each CUDA thread of a block a fiber,
// __shared__ poisoned at the start of every block. Returns "" on success, else a message naming the kernel,
// the block and the file:line (barrier reached at different sites, a thread returning while others wait at
// a barrier, a warp shuffle with lanes missing, a deadlock, a block larger than the runtime allows).
std::string run_grid(const Kernel& kernel, Dim3 grid, Dim3 block, unsigned dynamic_shared_bytes, void* const* args);
} // namespace cg_emu
