// driver_selftest.cpp — the emulated driver's rules, checked through its C entry points (no .NET, no GPU):
// deferred streams, pageable staging, legacy-stream ordering, capture refusals and invalidation, graphs,
// memory checks with allocation histories, module loading and launch checks, sticky errors.
// Usage: driver_selftest <path to libcuda.so.1 of the emulator>   (run by tools/cuda-emulator/selftest.sh)
#include "device_services.h"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace
{
void* lib;
int failures = 0, checks = 0;

template <typename F> F sym(const char* name)
{
    void* p = dlsym(lib, name);
    if (!p)
    {
        std::printf("FAIL: %s is not exported\n", name);
        ++failures;
    }
    return reinterpret_cast<F>(p);
}

#define API(name, ...) auto name = sym<CUresult (*)(__VA_ARGS__)>(#name)

void expect(bool ok, const char* what)
{
    ++checks;
    if (!ok)
    {
        std::printf("FAIL: %s\n", what);
        ++failures;
    }
}

void expect_status(CUresult got, CUresult want, const char* what)
{
    ++checks;
    if (got != want)
    {
        std::printf("FAIL: %s: status %d, expected %d\n", what, got, want);
        ++failures;
    }
}
} // namespace

int main(int argc, char** argv)
{
    if (argc != 2 || !(lib = dlopen(argv[1], RTLD_NOW)))
    {
        std::printf("usage: driver_selftest <libcuda.so.1> (%s)\n", dlerror());
        return 2;
    }
    API(cuInit, unsigned);
    API(cuDeviceGetName, char*, int, int);
    API(cuDevicePrimaryCtxRetain, void**, int);
    API(cuCtxSetCurrent, void*);
    API(cuCtxSynchronize);
    API(cuMemAlloc_v2, CUdeviceptr*, size_t);
    API(cuMemFree_v2, CUdeviceptr);
    API(cuMemAllocHost_v2, void**, size_t);
    API(cuStreamCreate, void**, unsigned);
    API(cuStreamSynchronize, void*);
    API(cuStreamBeginCapture_v2, void*, int);
    API(cuStreamEndCapture, void*, void**);
    API(cuStreamIsCapturing, void*, int*);
    API(cuGraphInstantiateWithFlags, void**, void*, unsigned long long);
    API(cuGraphLaunch, void*, void*);
    API(cuGraphExecDestroy, void*);
    API(cuGraphDestroy, void*);
    API(cuMemcpyHtoDAsync_v2, CUdeviceptr, const void*, size_t, void*);
    API(cuMemcpyDtoHAsync_v2, void*, CUdeviceptr, size_t, void*);
    API(cuMemsetD32Async, CUdeviceptr, unsigned, size_t, void*);
    API(cuGetErrorString, CUresult, const char**);
    API(cuModuleLoadDataEx, void**, const void*, unsigned, int*, void**);
    API(cuModuleGetFunction, void**, void*, const char*);
    API(cuLaunchKernel, void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**);
    API(cuEventCreate, void**, unsigned);
    API(cuEventRecord, void*, void*);
    API(cuEventSynchronize, void*);
    API(cuEventElapsedTime, float*, void*, void*);
    if (failures)
        return 1;
    auto text = [&](CUresult r) {
        const char* s = nullptr;
        cuGetErrorString(r, &s);
        return std::string(s ? s : "");
    };

    // device_services.h (the driver's side of the emulated libraries): C++ functions, found by their mangled names.
    auto check_device_ranges = reinterpret_cast<std::string (*)(const std::vector<cg_emu::DeviceRange>&)>(
        dlsym(lib, "_ZN6cg_emu19check_device_rangesB5cxx11ERKSt6vectorINS_11DeviceRangeESaIS1_EE"));
    auto enqueue_library_work = reinterpret_cast<int (*)(void*, const std::string&, std::vector<cg_emu::DeviceRange>, cg_emu::LibraryWork)>(
        dlsym(lib, "_ZN6cg_emu20enqueue_library_workEPvRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESt6vectorINS_11DeviceRangeESaISA_EESt8functionIFS6_vEE"));
    expect(check_device_ranges && enqueue_library_work, "check_device_ranges and enqueue_library_work are exported");
    if (failures)
        return 1;
    // A library's failing work becomes a sticky CUDA_ERROR_LAUNCH_FAILED with its text: in a child process, as
    // a sticky error ends the context.
    std::fflush(stdout);
    pid_t child = fork();
    if (child == 0)
    {
        cuInit(0);
        void* c;
        cuDevicePrimaryCtxRetain(&c, 0);
        cuCtxSetCurrent(c);
        CUdeviceptr buf;
        cuMemAlloc_v2(&buf, 64);
        int q = enqueue_library_work(nullptr, "fakeLibCall (call #1)", {{buf, 64, "fakeLibCall x"}}, [] { return std::string("unsupported fake"); });
        CUresult r = cuCtxSynchronize();
        const char* t = nullptr;
        cuGetErrorString(r, &t);
        bool ok = q == 0 && r == 719 && t && std::string(t).find("fakeLibCall (call #1): unsupported fake") != std::string::npos &&
                  cuMemsetD32Async(buf, 0, 16, nullptr) == 719;
        if (!ok)
            std::printf("FAIL: failing library work: queued %d, synchronize %d, text '%s'\n", q, r, t ? t : "");
        std::fflush(stdout);
        _exit(ok ? 0 : 1);
    }
    int child_status = 0;
    waitpid(child, &child_status, 0);
    expect(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0, "failing library work: sticky CUDA_ERROR_LAUNCH_FAILED with the library's text");

    expect_status(cuMemAlloc_v2(nullptr, 4), 3, "a call before cuInit is CUDA_ERROR_NOT_INITIALIZED");
    expect_status(cuInit(0), 0, "cuInit");
    char name[128];
    cuDeviceGetName(name, sizeof name, 0);
    expect(std::strcmp(name, "CudaGenre emulated device (CPU)") == 0, "device name");
    CUdeviceptr d = 0;
    expect_status(cuMemAlloc_v2(&d, 4), 201, "no current context: CUDA_ERROR_INVALID_CONTEXT");
    void* ctx;
    cuDevicePrimaryCtxRetain(&ctx, 0);
    cuCtxSetCurrent(ctx);
    expect_status(cuMemAlloc_v2(&d, 3ull << 30), 2, "3 GiB: CUDA_ERROR_OUT_OF_MEMORY");

    const size_t n = 1024;
    void *s1, *s2, *nb;
    cuStreamCreate(&s1, 0);
    cuStreamCreate(&s2, 0);
    cuStreamCreate(&nb, 1);
    cuMemAlloc_v2(&d, n * 4);
    expect(d % 256 == 0, "allocations are 256-byte aligned");

    // Pageable source: staged at the call. Pageable destination: complete at return.
    std::vector<unsigned> host(n, 7), back(n, 0);
    cuMemcpyHtoDAsync_v2(d, host.data(), n * 4, s1);
    host.assign(n, 9); // after the call: must not reach the device
    cuMemcpyDtoHAsync_v2(back.data(), d, n * 4, s1);
    expect(back[0] == 7 && back[n - 1] == 7, "HtoD from pageable memory copies the source at the call; DtoH to pageable memory is complete at return");

    // Page-locked memory: nothing runs before a synchronize.
    unsigned* pinned = nullptr;
    cuMemAllocHost_v2(reinterpret_cast<void**>(&pinned), n * 4);
    for (size_t i = 0; i < n; ++i)
        pinned[i] = 1;
    cuMemsetD32Async(d, 5, n, s1);
    cuMemcpyDtoHAsync_v2(pinned, d, n * 4, s1);
    expect(pinned[0] == 1, "a queued copy to page-locked memory has not run before a synchronize");
    cuStreamSynchronize(s1);
    expect(pinned[0] == 5 && pinned[n - 1] == 5, "it has after cuStreamSynchronize");

    // Legacy default stream: waits for earlier work of blocking streams; non-blocking streams are not ordered.
    cuMemsetD32Async(d, 11, n, s2);
    cuMemcpyDtoHAsync_v2(back.data(), d, n * 4, nullptr);
    expect(back[0] == 11, "the legacy stream waits for a blocking stream's earlier work");
    cuMemsetD32Async(d, 12, n, nb);
    cuMemcpyDtoHAsync_v2(back.data(), d, n * 4, nullptr);
    expect(back[0] == 11, "the legacy stream does not wait for a non-blocking stream");
    cuCtxSynchronize();

    // Copies are checked against one live allocation.
    CUresult r = cuMemcpyHtoDAsync_v2(d + 8, host.data(), n * 4, s1);
    expect_status(r, 1, "a copy 8 bytes past the end is CUDA_ERROR_INVALID_VALUE");
    expect(text(r).find("ends 8 bytes past the end of allocation") != std::string::npos, ("cuGetErrorString says where: " + text(r)).c_str());

    // Stream capture.
    expect_status(cuStreamBeginCapture_v2(nullptr, 1), 1, "capture on the legacy stream is refused");
    cuStreamBeginCapture_v2(s1, 1);
    int status = -1;
    cuStreamIsCapturing(s1, &status);
    expect(status == 1, "capturing");
    cuMemsetD32Async(d, 21, n, s1);
    cuMemcpyDtoHAsync_v2(pinned, d, n * 4, s1);
    void* graph = nullptr;
    expect_status(cuStreamEndCapture(s1, &graph), 0, "end capture");
    expect(pinned[0] == 5, "captured work did not run");
    void* exec = nullptr;
    expect_status(cuGraphInstantiateWithFlags(&exec, graph, 0), 0, "instantiate");
    cuGraphLaunch(exec, s1);
    cuStreamSynchronize(s1);
    expect(pinned[0] == 21, "the launched graph ran its memset and copy");
    expect_status(cuGraphExecDestroy(exec), 0, "destroy the executable graph");
    expect_status(cuGraphDestroy(graph), 0, "destroy the graph");
    expect_status(cuGraphDestroy(graph), 400, "a graph destroyed twice: CUDA_ERROR_INVALID_HANDLE");

    cuStreamBeginCapture_v2(s1, 1);
    expect_status(cuStreamSynchronize(s1), 900, "synchronizing a capturing stream: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
    cuStreamIsCapturing(s1, &status);
    expect(status == 2, "the capture is invalidated");
    expect_status(cuMemsetD32Async(d, 1, n, s1), 901, "work on an invalidated capture: CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
    void* none = &none;
    expect_status(cuStreamEndCapture(s1, &none), 901, "ending an invalidated capture");
    expect(none == nullptr, "no graph from an invalidated capture");
    cuStreamBeginCapture_v2(s1, 1);
    CUdeviceptr d2;
    expect_status(cuMemAlloc_v2(&d2, 16), 900, "cuMemAlloc during a thread-local capture on its thread");
    cuStreamEndCapture(s1, &none);
    cuStreamBeginCapture_v2(s1, 2);
    expect_status(cuMemAlloc_v2(&d2, 16), 0, "cuMemAlloc during a relaxed capture");
    expect_status(cuMemcpyDtoHAsync_v2(back.data(), d, 16, s1), 900, "a pageable copy cannot be captured");
    cuStreamEndCapture(s1, &none);
    cuMemFree_v2(d2);
    cuStreamBeginCapture_v2(s1, 1);
    expect_status(cuMemsetD32Async(d, 1, n, nullptr), 906, "the legacy stream while a blocking stream captures: CUDA_ERROR_STREAM_CAPTURE_IMPLICIT");
    cuStreamEndCapture(s1, &none);

    // Events.
    void *e1, *e2;
    cuEventCreate(&e1, 0);
    cuEventCreate(&e2, 0);
    cuEventRecord(e1, s1);
    cuMemsetD32Async(d, 3, n, s1);
    cuEventRecord(e2, s1);
    float ms = -1;
    expect_status(cuEventElapsedTime(&ms, e1, e2), 600, "elapsed time before the events ran: CUDA_ERROR_NOT_READY");
    cuEventSynchronize(e2);
    expect_status(cuEventElapsedTime(&ms, e1, e2), 0, "elapsed time");
    expect(ms >= 0, "elapsed time is not negative");

    // Modules and launches (saxpy is a test kernel: its CPU build is in the library).
    const char* ptx = ".version 7.8\n.target sm_75\n.address_size 64\n"
                      ".visible .entry saxpy(.param .f32 a, .param .u64 x, .param .u64 y, .param .u32 n)\n.maxntid 256, 1, 1\n{\nret;\n}\n";
    void* module = nullptr;
    expect_status(cuModuleLoadDataEx(&module, ptx, 0, nullptr, nullptr), 0, "load PTX");
    char log[512] = "";
    int options[] = {5, 6};
    void* values[] = {log, reinterpret_cast<void*>(sizeof log)};
    void* bad = nullptr;
    expect_status(cuModuleLoadDataEx(&bad, ".version 7.0\n.target sm_75\n.entry k() { nonsense; }\n", 2, options, values), 218, "bad PTX: CUDA_ERROR_INVALID_PTX");
    expect(std::strstr(log, "line 3") != nullptr, "the JIT error log names the line");
    void* f = nullptr;
    expect_status(cuModuleGetFunction(&f, module, "saxpy2"), 500, "unknown entry: CUDA_ERROR_NOT_FOUND");
    cuModuleGetFunction(&f, module, "saxpy");
    CUdeviceptr x, y;
    cuMemAlloc_v2(&x, n * 4);
    cuMemAlloc_v2(&y, n * 4);
    cuMemsetD32Async(x, 0x3f800000, n, s1); // 1.0f
    cuMemsetD32Async(y, 0, n, s1);
    struct
    {
        float a;
        unsigned pad;
        CUdeviceptr x, y;
        int n;
    } args{2.0f, 0, x, y, (int)n};
    void* params[] = {&args.a, &args.x, &args.y, &args.n};
    expect_status(cuLaunchKernel(f, 4, 1, 1, 512, 1, 1, 0, s1, params, nullptr), 1, "a block above .maxntid");
    expect_status(cuLaunchKernel(f, 0, 1, 1, 256, 1, 1, 0, s1, params, nullptr), 1, "a zero grid");
    void* shifted[] = {&args.a, &args.pad, &args.y, &args.n};
    expect_status(cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, s1, shifted, nullptr), 1, "kernelParams off the image's layout");
    expect_status(cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, s1, params, nullptr), 0, "launch");
    cuMemcpyDtoHAsync_v2(back.data(), y, n * 4, s1);
    float first;
    std::memcpy(&first, back.data(), 4);
    expect(first == 2.0f, "saxpy ran: y = 2·1 + 0");

    // An entry point of the image without a CPU build: found, but its launch is CUDA_ERROR_NOT_SUPPORTED.
    void* other = nullptr;
    void* g = nullptr;
    cuModuleLoadDataEx(&other, ".version 7.8\n.target sm_90\n.address_size 64\n.visible .entry no_cpu_build(.param .u32 n)\n{\nret;\n}\n", 0, nullptr, nullptr);
    expect_status(cuModuleGetFunction(&g, other, "no_cpu_build"), 0, "an entry without a CPU build is found");
    int one = 1;
    void* one_param[] = {&one};
    r = cuLaunchKernel(g, 1, 1, 1, 32, 1, 1, 0, s1, one_param, nullptr);
    expect_status(r, 801, "its launch: CUDA_ERROR_NOT_SUPPORTED");
    expect(text(r).find("no CPU build") != std::string::npos, ("the text says why: " + text(r)).c_str());

    // Use after free: named with the allocation's history.
    cuMemFree_v2(x);
    r = cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, s1, params, nullptr);
    expect_status(r, 1, "a launch with a freed pointer");
    expect(text(r).find("freed memory") != std::string::npos && text(r).find("freed by cuMemFree") != std::string::npos,
           ("the text names the freed allocation and its history: " + text(r)).c_str());
    expect_status(cuMemFree_v2(x), 1, "a double free");

    // Library work (device_services.h): ranges checked at the call, work deferred to the stream, recorded by a
    // capture and replayed by a graph, ranges re-checked at replay, red zones checked after it runs.
    {
        CUdeviceptr lb;
        cuMemAlloc_v2(&lb, 64);
        expect(check_device_ranges({{lb, 64, "whole"}, {0, 0, "empty null"}}).empty(), "check_device_ranges: inside one allocation");
        std::string why = check_device_ranges({{lb + 32, 40, "fakeLib y"}});
        expect(why.find("fakeLib y") != std::string::npos && why.find("past the end") != std::string::npos, ("check_device_ranges names the range: " + why).c_str());
        int runs = 0;
        auto work = [&runs, lb] { ++runs; std::memset(reinterpret_cast<void*>(lb), 0x11, 64); return std::string(); };
        expect_status(enqueue_library_work(s1, "fakeLib (call #1)", {{lb, 72, "fakeLib y"}}, work), 1, "a range past the end: refused at the call");
        expect_status(enqueue_library_work(s1, "fakeLib (call #2)", {{lb, 64, "fakeLib y"}}, work), 0, "queued");
        expect(runs == 0, "library work is deferred until the stream is synchronized");
        cuStreamSynchronize(s1);
        expect(runs == 1, "it ran at the synchronize");
        expect_status(enqueue_library_work(reinterpret_cast<void*>(0x1234), "fakeLib", {}, work), 400, "an invalid stream");
        expect_status(cuStreamBeginCapture_v2(s2, 0), 0, "capture");
        expect_status(enqueue_library_work(s2, "fakeLib (call #3)", {{lb, 64, "fakeLib y"}}, work), 0, "recorded");
        void *lg = nullptr, *le = nullptr;
        expect_status(cuStreamEndCapture(s2, &lg), 0, "end capture");
        expect(runs == 1, "a captured call does not run");
        cuGraphInstantiateWithFlags(&le, lg, 0);
        cuGraphLaunch(le, s2);
        cuGraphLaunch(le, s2);
        cuStreamSynchronize(s2);
        expect(runs == 3, "the graph replays the library work");
        expect_status(cuStreamBeginCapture_v2(s2, 0), 0, "capture again");
        expect_status(enqueue_library_work(nullptr, "fakeLib on the legacy stream", {}, work), 906, "library work on the legacy stream during a capture: refused as a launch");
        void* dead = nullptr;
        expect_status(cuStreamEndCapture(s2, &dead), 901, "that capture is invalidated");
        cuMemFree_v2(lb);
        expect_status(cuGraphLaunch(le, s2), 1, "a graph whose library work uses freed memory is refused");
        cuGraphExecDestroy(le);
        cuGraphDestroy(lg);
    }

    // A write past the end: sticky CUDA_ERROR_ILLEGAL_ADDRESS at the next synchronize (last: it ends the context).
    CUdeviceptr small;
    cuMemAlloc_v2(&small, (n - 1) * 4);
    args.x = y;
    args.y = small;
    expect_status(cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, s1, params, nullptr), 0, "the launch itself is accepted");
    r = cuStreamSynchronize(s1);
    expect_status(r, 700, "a write past the end: CUDA_ERROR_ILLEGAL_ADDRESS at the synchronize");
    expect(text(r).find("wrote past the end of allocation") != std::string::npos, ("the text says what: " + text(r)).c_str());
    expect_status(cuMemsetD32Async(d, 0, n, s1), 700, "sticky");

    std::printf("%s: %d driver checks, %d failures\n", failures ? "FAILED" : "OK", checks, failures);
    return failures ? 1 : 0;
}
