// selftest.h — helpers shared by the CPU selftest's parts (selftest-cpu.sh builds and runs them).
#pragma once

#include "cuda_cpu_device.h"
#include "emulator.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace selftest
{
// Counts a failure and prints it; returns the condition.
bool check(bool ok, const std::string& what);

// Launches the registered kernel `name` with `args` (their C++ types must be the kernel's own); returns
// run_grid's message ("" on success), or why the launch could not be made.
template <typename... A>
std::string launch(const char* name, cg_emu::Dim3 grid, cg_emu::Dim3 block, A... args)
{
    const cg_emu::Kernel* kernel = cg_emu::find_kernel(name);
    if (kernel == nullptr)
        return std::string("no kernel named ") + name;
    const std::size_t sizes[] = {sizeof(A)...};
    if (kernel->param_count != static_cast<int>(sizeof...(A)))
        return std::string(name) + ": wrong argument count";
    for (std::size_t i = 0; i < sizeof...(A); ++i)
        if (kernel->params[i].size != sizes[i])
            return std::string(name) + ": argument " + std::to_string(i) + " has the wrong size";
    void* pointers[] = {static_cast<void*>(&args)...};
    return cg_emu::run_grid(*kernel, grid, block, 0, pointers);
}

// Independent references for precision.cuh's conversions, in double arithmetic (cvt_test.cpp).
float reference_f16_to_f32(std::uint16_t h);
std::uint16_t reference_f32_to_f16(float x);
float reference_bf16_to_f32(std::uint16_t b);
std::uint16_t reference_f32_to_bf16(float x);

void test_conversions();
void test_runtime();
void test_kernels();
} // namespace selftest
