// device_services.h — what the emulated driver (libcuda.so.1) offers the emulated CUDA libraries (cuDNN,
// cuBLASLt, cuBLAS: separate .so files beside it, linked against it). The libraries never touch device memory
// or streams behind the driver's back: every pointer they receive is checked as the driver checks a kernel's,
// and their work is queued on the caller's stream like a kernel launch, so it runs only when the stream is
// synchronized, is recorded by a stream capture, and is replayed by a graph.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cg_emu
{
// One range of device memory a library call reads or writes.
struct DeviceRange
{
    std::uint64_t address;
    std::size_t bytes;
    const char* what; // "cudnnConvolutionForward y"
};

// "" when every range lies inside one live device allocation (a range of 0 bytes may be null); else why not,
// with the allocation's history. Call before queueing, as the driver does for a launch.
std::string check_device_ranges(const std::vector<DeviceRange>& ranges);

// Work a library queues. It runs under the driver's lock when the stream reaches it; it returns "" or an error
// text, which becomes a sticky CUDA_ERROR_LAUNCH_FAILED at the next synchronizing call (as a failed kernel's
// does). It must own copies of everything it needs (descriptors may be destroyed right after the call
// returns); a graph may run it many times.
using LibraryWork = std::function<std::string()>;

// Queues `work` on `stream` (a CUstream handle; null = the legacy default stream) under the name `what`
// ("cudnnConvolutionForward (call #3)"). `ranges` are re-checked whenever the work runs (a graph replayed
// after a buffer was freed) and the red zones of every allocation after it runs. Returns a CUresult: 0, or
// the code the driver would give a launch on that stream (e.g. an invalid stream, a refused capture).
int enqueue_library_work(void* stream, const std::string& what, std::vector<DeviceRange> ranges, LibraryWork work);
} // namespace cg_emu
