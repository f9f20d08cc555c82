// driver_state.h — the emulated driver's state, shared by driver.cpp (entry points, streams, graphs) and
// memory.cpp (allocations, red zones, quarantine). Everything here is guarded by one global lock (g_lock):
// every entry point takes it for its whole duration, including the work it runs.
#pragma once

#include "emulator.h"
#include "module_image.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cg_emu
{
// CUresult values, as in cuda.h (CUDA 12.6, enum cudaError_enum). Only those the emulator returns.
enum Result : int
{
    kSuccess = 0,
    kInvalidValue = 1,
    kOutOfMemory = 2,
    kNotInitialized = 3,
    kDeinitialized = 4,
    kNoDevice = 100,
    kInvalidDevice = 101,
    kInvalidImage = 200,
    kInvalidContext = 201,
    kInvalidPtx = 218,
    kInvalidHandle = 400,
    kIllegalState = 401,
    kNotFound = 500,
    kNotReady = 600,
    kIllegalAddress = 700,
    kLaunchOutOfResources = 701,
    kLaunchFailed = 719,
    kNotSupported = 801,
    kCaptureUnsupported = 900,
    kCaptureInvalidated = 901,
    kCaptureUnmatched = 903,
    kCaptureImplicit = 906,
    kCaptureWrongThread = 908,
    kUnknown = 999,
};

extern std::recursive_mutex& g_lock;

// ---- memory (memory.cpp) -------------------------------------------------------------------------------
struct Allocation
{
    std::uint64_t id;
    bool host;            // page-locked host memory from cuMemAllocHost (else device memory)
    bool live;            // false once freed (then quarantined)
    std::uintptr_t base;  // the address handed out
    std::size_t size;     // bytes asked for
    unsigned char* block; // backing store: red zone, data, red zone
    std::size_t block_size;
    std::deque<std::string> history; // a short history: allocation, recent uses, free
    void note(const std::string& event);
    std::string describe() const; // "allocation #12 (1024 bytes of device memory; allocated …; freed …)"
};

constexpr std::size_t kRedZone = 256;              // bytes before every allocation (and at least this after)
constexpr unsigned char kFreedByte = 0xDD;         // freed (quarantined) memory contents
constexpr std::size_t kTotalMemory = 2ull << 30;   // cuDeviceTotalMem: 2 GiB
constexpr std::size_t kReserved = 32ull << 20;     // left out of cuMemGetInfo's total, as a driver reserves some

std::uintptr_t allocate(std::size_t bytes, bool host, Result& status); // 0 on failure
Result release(std::uintptr_t base, bool host, std::string& detail);
std::size_t device_bytes_in_use();

// Where [address, address+bytes) lies. Returns the allocation holding `address` (live or quarantined), or null.
Allocation* find_allocation(std::uintptr_t address);
// "" when [address, address+bytes) is inside one live allocation of the kind asked for; else why not.
std::string check_range(std::uintptr_t address, std::size_t bytes, bool host, const char* what);
// Checks every live allocation's red zones and the recently freed memory; restores them and returns what was
// found ("" when clean). `who` names the operation ("kernel saxpy (launch #3)").
std::string check_red_zones(const std::string& who);
void note_use(std::uintptr_t address, const std::string& event);
} // namespace cg_emu
