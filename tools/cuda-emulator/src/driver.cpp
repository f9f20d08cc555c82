// driver.cpp — the emulated CUDA driver: libcuda.so.1's entry points as the project calls them
// (src/CudaGenre.Cuda/Driver/DriverApi.cs), on the CPU. One device ("CudaGenre emulated device (CPU)",
// compute capability 9.0, 2 GiB), its primary context, streams whose work runs only when something waits for
// it, events, modules from PTX or CUBIN, checked kernel launches run by run_grid (emulator.h), and stream
// capture into graphs. The rules and the documentation each rests on: tools/cuda-emulator/README.md,
// "The emulated driver". One global lock (g_lock) serializes every entry point, work included.
#include "device_services.h"
#include "driver_state.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#define CG_API extern "C" __attribute__((visibility("default")))

namespace cg_emu
{
// Global state is leaked on purpose: at process exit, static destructors run while other threads (the .NET
// finalizer, test threads) may still call in (ThreadSanitizer saw exactly that race on g_events). After exit
// begins, entry points return CUDA_ERROR_DEINITIALIZED, as the real driver does when shutting down.
std::recursive_mutex& g_lock = *new std::recursive_mutex();

namespace
{
using Lock = std::lock_guard<std::recursive_mutex>;
using Clock = std::chrono::steady_clock;

constexpr const char* kDeviceName = "CudaGenre emulated device (CPU)";
constexpr int kDriverVersion = 12020;
constexpr unsigned kMaxDynamicSharedDefault = 48 * 1024;
constexpr unsigned kMaxSharedOptin = 227 * 1024;
constexpr int kDefaultRegisters = 32; // NUM_REGS for a kernel loaded from PTX (no real JIT to ask)

bool g_initialized = false;
bool g_exiting = false; // set under g_lock by a static destructor at process exit

struct ExitFlag
{
    ~ExitFlag()
    {
        std::lock_guard<std::recursive_mutex> lock(g_lock);
        g_exiting = true;
    }
} g_exit_flag;

// ---- errors: names, texts, and the detail behind the last failure ---------------------------------------
struct ErrorText
{
    int code;
    const char* name;
    const char* text; // cuGetErrorString's text for the code
};
const ErrorText kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {5, "CUDA_ERROR_PROFILER_DISABLED", "profiler disabled while using external profiling tool"},
    {6, "CUDA_ERROR_PROFILER_NOT_INITIALIZED", "profiler not initialized: call cudaProfilerInitialize()"},
    {7, "CUDA_ERROR_PROFILER_ALREADY_STARTED", "profiler already started"},
    {8, "CUDA_ERROR_PROFILER_ALREADY_STOPPED", "profiler already stopped"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {102, "CUDA_ERROR_DEVICE_NOT_LICENSED", "device doesn't have valid Grid license"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {202, "CUDA_ERROR_CONTEXT_ALREADY_CURRENT", "context already current"},
    {205, "CUDA_ERROR_MAP_FAILED", "mapping of buffer object failed"},
    {206, "CUDA_ERROR_UNMAP_FAILED", "unmapping of buffer object failed"},
    {207, "CUDA_ERROR_ARRAY_IS_MAPPED", "array is mapped"},
    {208, "CUDA_ERROR_ALREADY_MAPPED", "resource already mapped"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {210, "CUDA_ERROR_ALREADY_ACQUIRED", "resource already acquired"},
    {211, "CUDA_ERROR_NOT_MAPPED", "resource not mapped"},
    {212, "CUDA_ERROR_NOT_MAPPED_AS_ARRAY", "resource not mapped as array"},
    {213, "CUDA_ERROR_NOT_MAPPED_AS_POINTER", "resource not mapped as pointer"},
    {214, "CUDA_ERROR_ECC_UNCORRECTABLE", "uncorrectable ECC error encountered"},
    {215, "CUDA_ERROR_UNSUPPORTED_LIMIT", "limit is not supported on this architecture"},
    {216, "CUDA_ERROR_CONTEXT_ALREADY_IN_USE", "exclusive-thread device already in use by a different thread"},
    {217, "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED", "peer access is not supported between these two devices"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {219, "CUDA_ERROR_INVALID_GRAPHICS_CONTEXT", "invalid OpenGL or DirectX context"},
    {220, "CUDA_ERROR_NVLINK_UNCORRECTABLE", "uncorrectable NVLink error detected during the execution"},
    {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND", "PTX JIT compiler library not found"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain."},
    {223, "CUDA_ERROR_JIT_COMPILATION_DISABLED", "PTX JIT compilation was disabled"},
    {224, "CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY", "the provided execution affinity is not supported"},
    {225, "CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC", "the provided PTX contains unsupported call to cudaDeviceSynchronize"},
    {300, "CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"},
    {301, "CUDA_ERROR_FILE_NOT_FOUND", "file not found"},
    {302, "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND", "shared object symbol not found"},
    {303, "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED", "shared object initialization failed"},
    {304, "CUDA_ERROR_OPERATING_SYSTEM", "OS call failed or operation not supported on this OS"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {402, "CUDA_ERROR_LOSSY_QUERY", "attempted introspection would be semantically lossy"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {703, "CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING", "launch uses incompatible texturing mode"},
    {704, "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED", "peer access is already enabled"},
    {705, "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED", "peer access has not been enabled"},
    {708, "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE", "cannot set while device is active in this process"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {710, "CUDA_ERROR_ASSERT", "device-side assert triggered"},
    {711, "CUDA_ERROR_TOO_MANY_PEERS", "peer mapping resources exhausted"},
    {712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED", "part or all of the requested memory range is already mapped"},
    {713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED", "pointer does not correspond to a registered memory region"},
    {714, "CUDA_ERROR_HARDWARE_STACK_ERROR", "hardware stack error"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {717, "CUDA_ERROR_INVALID_ADDRESS_SPACE", "operation not supported on global/shared address space"},
    {718, "CUDA_ERROR_INVALID_PC", "invalid program counter"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {720, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE", "too many blocks in cooperative launch"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "system has unsupported display driver / cuda driver combination"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "forward compatibility was attempted on non supported HW"},
    {805, "CUDA_ERROR_MPS_CONNECTION_FAILED", "MPS client failed to connect to the MPS control daemon or the MPS server"},
    {806, "CUDA_ERROR_MPS_RPC_FAILURE", "the remote procedural call between the MPS server and the MPS client failed"},
    {807, "CUDA_ERROR_MPS_SERVER_NOT_READY", "MPS server is not ready to accept new MPS client requests"},
    {808, "CUDA_ERROR_MPS_MAX_CLIENTS_REACHED", "the hardware resources required to create MPS client have been exhausted"},
    {809, "CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED", "the hardware resources required to support device connections have been exhausted"},
    {810, "CUDA_ERROR_MPS_CLIENT_TERMINATED", "the MPS client has been terminated by the server"},
    {811, "CUDA_ERROR_CDP_NOT_SUPPORTED", "is using CUDA Dynamic Parallelism, but the current configuration, like MPS, does not support it"},
    {812, "CUDA_ERROR_CDP_VERSION_MISMATCH", "unsupported interaction between different versions of CUDA Dynamic Parallelism"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {902, "CUDA_ERROR_STREAM_CAPTURE_MERGE", "operation would result in a merge of separate capture sequences"},
    {903, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "capture was not ended in the same stream as it began"},
    {904, "CUDA_ERROR_STREAM_CAPTURE_UNJOINED", "capturing stream has unjoined work"},
    {905, "CUDA_ERROR_STREAM_CAPTURE_ISOLATION", "dependency created on uncaptured work in another stream"},
    {906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"},
    {907, "CUDA_ERROR_CAPTURED_EVENT", "operation not permitted on an event last recorded in a capturing stream"},
    {908, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD", "attempt to terminate a thread-local capture sequence from another thread"},
    {909, "CUDA_ERROR_TIMEOUT", "wait operation timed out"},
    {910, "CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE", "the graph update was not performed because it included changes which violated constraints specific to instantiated graph update"},
    {911, "CUDA_ERROR_EXTERNAL_DEVICE", "an async error has occured in external entity outside of CUDA"},
    {912, "CUDA_ERROR_INVALID_CLUSTER_SIZE", "a kernel launch error has occurred due to cluster misconfiguration"},
    {913, "CUDA_ERROR_FUNCTION_NOT_LOADED", "the function handle is not loaded when calling an API that requires a loaded function"},
    {914, "CUDA_ERROR_INVALID_RESOURCE_TYPE", "one or more resources passed in are not valid resource types for the operation"},
    {915, "CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION", "one or more resources are insufficient or non-applicable for the operation"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorText* error_text(int code)
{
    for (auto& e : kErrors)
        if (e.code == code)
            return &e;
    return nullptr;
}

// The detail of the calling thread's last failed call (cleared when the next entry point starts), and of
// the sticky error. cuGetErrorString appends it to the code's text: the product puts that text in its exceptions.
thread_local int t_detail_code = 0;
thread_local std::string t_detail;
int g_sticky = 0; // a failure while running work: every later call that needs the context returns it
std::string& g_sticky_detail = *new std::string();
std::deque<std::string>& g_texts = *new std::deque<std::string>(); // texts handed out by cuGetErrorString (kept: the caller may hold the pointer)

Result fail(Result code, const std::string& detail)
{
    t_detail_code = code;
    t_detail = detail;
    std::fprintf(stderr, "[cuda-emulator] %s: %s\n", error_text(code) ? error_text(code)->name : "?", detail.c_str());
    return code;
}

void set_sticky(Result code, const std::string& detail)
{
    if (g_sticky)
        return; // the first failure is the one that explains the rest
    g_sticky = code;
    g_sticky_detail = detail;
    std::fprintf(stderr, "[cuda-emulator] %s (sticky: the context is now unusable, as on a GPU): %s\n", error_text(code)->name, detail.c_str());
}

// ---- objects ------------------------------------------------------------------------------------------
struct Module;
struct Function
{
    Module* module;
    std::string name;
    const ImageEntry* entry;
    const Kernel* cpu; // null: no CPU build (launch → CUDA_ERROR_NOT_SUPPORTED)
    unsigned max_dynamic_shared = kMaxDynamicSharedDefault;
    int carveout = -1;
};

struct Module
{
    std::string label; // "PTX module #2" / "CUBIN module #3"
    ModuleImage image;
    std::vector<std::unique_ptr<Function>> functions;
    bool loaded = true;
};

enum class OpKind
{
    launch,
    copy,
    memset,
    event_record,
    library, // work queued by an emulated library (device_services.h: enqueue_library_work)
};

struct Event;

// One piece of queued work. Argument values, pageable sources and memset values are copied at enqueue.
struct Op
{
    OpKind kind;
    std::string what; // "kernel saxpy (launch #3)", "cuMemcpyHtoDAsync (4000 bytes)"
    // launch
    Function* function = nullptr;
    Dim3 grid{1, 1, 1}, block{1, 1, 1};
    unsigned shared = 0;
    std::vector<std::size_t> arg_offsets;
    std::shared_ptr<std::vector<unsigned char>> args; // parameter-space bytes, 16-byte aligned storage
    // copy / memset
    void* dst = nullptr;
    const void* src = nullptr;
    std::size_t bytes = 0;
    std::shared_ptr<std::vector<unsigned char>> staging; // a pageable source, copied at enqueue
    std::uint32_t value = 0;
    int width = 1;
    // event record
    Event* event = nullptr;
    // library work: shared by every copy of the op (a graph replays the same function)
    std::shared_ptr<LibraryWork> work;
    std::vector<DeviceRange> ranges;
    // scheduling
    std::uint64_t seq = 0;
    std::vector<std::pair<struct Stream*, std::uint64_t>> deps;
};

struct Graph
{
    std::vector<Op> nodes;
};

struct GraphExec
{
    std::vector<Op> nodes;
};

enum class Capture
{
    none = 0,
    active = 1,
    invalidated = 2,
};

struct Stream
{
    bool legacy = false;
    unsigned flags = 0;
    std::deque<Op> queue;
    std::uint64_t last_enqueued = 0;
    Capture capture = Capture::none;
    int capture_mode = 0;
    std::thread::id capture_thread;
    Graph* capture_graph = nullptr;
};

struct Event
{
    unsigned flags = 0;
    bool recorded = false;
    bool completed = false;
    Stream* stream = nullptr;
    std::uint64_t seq = 0;
    Clock::time_point time;
};

struct Context
{
    int retains = 0;
};

Context& g_primary = *new Context();
thread_local Context* t_current = nullptr;
Stream& g_legacy_stream = *new Stream();
std::set<Stream*>& g_streams = *new std::set<Stream*>(); // created streams (not the legacy one)
std::set<Event*>& g_events = *new std::set<Event*>();
std::set<Module*>& g_modules = *new std::set<Module*>();
std::set<Function*>& g_functions = *new std::set<Function*>();
std::set<Graph*>& g_graphs = *new std::set<Graph*>();
std::set<GraphExec*>& g_execs = *new std::set<GraphExec*>();
std::uint64_t g_seq = 0;
std::uint64_t g_launches = 0;
int g_module_count = 0;
int g_global_captures = 0; // captures begun in CU_STREAM_CAPTURE_MODE_GLOBAL, still going

// CUstream handles: 0 and CU_STREAM_LEGACY (0x1) are the legacy default stream; CU_STREAM_PER_THREAD (0x2) is
// treated as the legacy stream too (the project never uses per-thread default streams).
Stream* stream_of(void* handle, Result& status)
{
    auto raw = reinterpret_cast<std::uintptr_t>(handle);
    if (raw <= 2)
        return &g_legacy_stream;
    auto* s = static_cast<Stream*>(handle);
    if (!g_streams.count(s))
    {
        status = fail(kInvalidHandle, "not a live stream handle");
        return nullptr;
    }
    return s;
}

// Common prologue: initialized, a current context, no sticky error.
Result ready(bool need_context = true)
{
    t_detail_code = 0;
    t_detail.clear();
    if (g_exiting)
        return kDeinitialized;
    if (!g_initialized)
        return kNotInitialized;
    if (need_context && !t_current)
        return fail(kInvalidContext, "no context is current on this thread (cuCtxSetCurrent)");
    if (need_context && g_sticky)
        return static_cast<Result>(g_sticky);
    return kSuccess;
}

// ---- running work ---------------------------------------------------------------------------------------
void execute(Op& op)
{
    if (g_sticky)
        return; // after a sticky error the device does no more work
    switch (op.kind)
    {
    case OpKind::launch: {
        std::vector<void*> argv(op.arg_offsets.size());
        for (std::size_t i = 0; i < argv.size(); ++i)
            argv[i] = op.args->data() + op.arg_offsets[i];
        std::string error = run_grid(*op.function->cpu, op.grid, op.block, op.shared, argv.empty() ? nullptr : argv.data());
        std::string stray = check_red_zones(op.what);
        if (!stray.empty())
            set_sticky(kIllegalAddress, stray);
        else if (!error.empty())
            set_sticky(kLaunchFailed, op.what + ": " + error);
        break;
    }
    case OpKind::copy:
        std::memcpy(op.dst, op.staging ? op.staging->data() : op.src, op.bytes);
        break;
    case OpKind::memset:
        if (op.width == 1)
            std::memset(op.dst, (int)(op.value & 0xff), op.bytes);
        else
            for (std::size_t i = 0; i < op.bytes / 4; ++i)
                std::memcpy(static_cast<unsigned char*>(op.dst) + 4 * i, &op.value, 4);
        break;
    case OpKind::library: {
        // The ranges again (a graph replayed after a buffer was freed), the work, then the red zones, as for a kernel.
        std::string why = check_device_ranges(op.ranges);
        if (!why.empty())
        {
            set_sticky(kLaunchFailed, op.what + ": " + why);
            break;
        }
        std::string error;
        try
        {
            error = (*op.work)();
        }
        catch (const std::exception& e)
        {
            error = std::string("the library's work threw: ") + e.what();
        }
        std::string stray = check_red_zones(op.what);
        if (!stray.empty())
            set_sticky(kIllegalAddress, stray);
        else if (!error.empty())
            set_sticky(kLaunchFailed, op.what + ": " + error);
        break;
    }
    case OpKind::event_record:
        if (g_events.count(op.event) && op.event->seq == op.seq)
        {
            op.event->completed = true;
            op.event->time = Clock::now();
        }
        break;
    }
}

// Runs `s`'s queued work up to and including sequence number `until` (its dependencies on other streams first).
void run_until(Stream* s, std::uint64_t until)
{
    while (!s->queue.empty() && s->queue.front().seq <= until)
    {
        Op op = std::move(s->queue.front());
        s->queue.pop_front();
        for (auto& [other, seq] : op.deps)
            if (other == &g_legacy_stream || g_streams.count(other))
                run_until(other, seq);
        execute(op);
    }
}

void run_all(Stream* s) { run_until(s, UINT64_MAX); }

void run_everything()
{
    run_all(&g_legacy_stream);
    for (Stream* s : g_streams)
        run_all(s);
}

bool any_capture()
{
    for (Stream* s : g_streams)
        if (s->capture != Capture::none)
            return true;
    return false;
}

void invalidate(Stream* s)
{
    if (s->capture == Capture::active)
        s->capture = Capture::invalidated;
}

// "Potentially unsafe" calls (cuMemAlloc, cuMemFree, …) during capture: refused per the capture modes of
// cuStreamBeginCapture / cuThreadExchangeStreamCaptureMode (driver API reference): GLOBAL captures forbid them
// on every thread, THREAD_LOCAL ones on the capturing thread, RELAXED ones nowhere. The captures concerned
// are invalidated, and the call returns CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED.
Result refuse_if_capturing(const char* call)
{
    bool refused = false;
    for (Stream* s : g_streams)
    {
        if (s->capture != Capture::active || s->capture_mode == 2)
            continue;
        if (s->capture_mode == 0 || s->capture_thread == std::this_thread::get_id())
        {
            invalidate(s);
            refused = true;
        }
    }
    if (refused)
        return fail(kCaptureUnsupported, std::string(call) + " is not permitted while a stream is being captured in global or thread-local mode "
                                                             "(the capture is now invalidated)");
    return kSuccess;
}

// Queues `op` on `s`, or records it into the graph when `s` is capturing. Legacy default stream semantics
// (driver API reference, "Stream synchronization behavior"): work on the legacy stream waits for all earlier
// work in blocking streams, and work in a blocking stream waits for earlier work on the legacy stream;
// CU_STREAM_NON_BLOCKING streams do neither.
Result enqueue(Stream* s, Op op)
{
    if (s->capture == Capture::invalidated)
        return fail(kCaptureInvalidated, op.what + ": the stream's capture was invalidated by an earlier error");
    if (s->capture == Capture::active)
    {
        s->capture_graph->nodes.push_back(std::move(op));
        return kSuccess;
    }
    if (s->legacy)
    {
        // Programming Guide, stream capture, "Prohibited and Unhandled Operations": using the legacy stream while
        // a blocking stream is being captured would make it depend on the capture.
        bool implicit = false;
        for (Stream* b : g_streams)
            if (!(b->flags & 1) && b->capture == Capture::active)
            {
                invalidate(b);
                implicit = true;
            }
        if (implicit)
            return fail(kCaptureImplicit, op.what + " on the legacy default stream while a blocking stream is being captured");
        for (Stream* b : g_streams)
            if (!(b->flags & 1) && !b->queue.empty())
                op.deps.push_back({b, b->last_enqueued});
    }
    else if (!(s->flags & 1) && !g_legacy_stream.queue.empty())
        op.deps.push_back({&g_legacy_stream, g_legacy_stream.last_enqueued});
    op.seq = ++g_seq;
    s->last_enqueued = op.seq;
    if (op.kind == OpKind::event_record)
    {
        op.event->recorded = true;
        op.event->completed = false;
        op.event->stream = s;
        op.event->seq = op.seq;
    }
    s->queue.push_back(std::move(op));
    return kSuccess;
}

// A synchronizing call on a capturing stream: refused, and the capture is invalidated (Programming Guide,
// "Prohibited and Unhandled Operations": it is invalid to synchronize or query a stream being captured).
Result sync_stream(Stream* s, const char* call)
{
    if (s->capture != Capture::none)
    {
        invalidate(s);
        return fail(kCaptureUnsupported, std::string(call) + " on a stream that is being captured (the capture is now invalidated)");
    }
    if (s->legacy)
    {
        for (Stream* b : g_streams)
            if (!(b->flags & 1) && b->capture == Capture::active)
            {
                invalidate(b);
                return fail(kCaptureImplicit, std::string(call) + " of the legacy stream while a blocking stream is being captured");
            }
        // the legacy stream waits for every blocking stream's earlier work
        for (Stream* b : g_streams)
            if (!(b->flags & 1))
                run_all(b);
    }
    run_all(s);
    return g_sticky ? static_cast<Result>(g_sticky) : kSuccess;
}

// ---- launch checks ----------------------------------------------------------------------------------------
std::string layout_text(const std::vector<ImageParam>& params)
{
    std::ostringstream o;
    o << "(";
    for (std::size_t i = 0; i < params.size(); ++i)
        o << (i ? ", " : "") << params[i].size << " bytes at " << params[i].offset;
    o << ")";
    return o.str();
}

std::string cpu_layout_text(const Kernel& k)
{
    std::ostringstream o;
    o << "(";
    for (int i = 0; i < k.param_count; ++i)
        o << (i ? ", " : "") << k.params[i].size << (k.params[i].pointer ? "-byte pointer" : " bytes") << " aligned " << k.params[i].align;
    o << ")";
    return o.str();
}

// Whether the CPU build's C++ parameter list lays out exactly as the image's parameter list.
std::string compare_with_cpu(const Function& f)
{
    const Kernel& k = *f.cpu;
    const auto& image = f.entry->params;
    std::ostringstream o;
    bool same = (std::size_t)k.param_count == image.size();
    std::size_t offset = 0;
    for (int i = 0; same && i < k.param_count; ++i)
    {
        offset = (offset + k.params[i].align - 1) / k.params[i].align * k.params[i].align;
        same = k.params[i].size == image[(std::size_t)i].size && offset == image[(std::size_t)i].offset;
        offset += k.params[i].size;
    }
    if (same)
        return "";
    o << "the CPU build of " << f.name << " (" << k.file << ") takes " << k.param_count << " parameters " << cpu_layout_text(k) << " but the loaded image's "
      << f.name << " takes " << image.size() << " " << layout_text(image) << ": the emulator's kernels were built from other sources (rebuild with tools/cuda-emulator/build.sh)";
    return o.str();
}

Result check_and_build_launch(Function* f, Dim3 grid, Dim3 block, unsigned shared, void** params, void** extra, Op& op)
{
    std::ostringstream where;
    where << "kernel " << f->name << " (launch #" << g_launches + 1 << ", grid (" << grid.x << ", " << grid.y << ", " << grid.z << "), block (" << block.x
          << ", " << block.y << ", " << block.z << "))";
    op.what = where.str();
    auto bad = [&](Result code, const std::string& why) { return fail(code, op.what + ": " + why); };
    if (!grid.x || !grid.y || !grid.z || !block.x || !block.y || !block.z)
        return bad(kInvalidValue, "a grid or block dimension is 0");
    if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
        return bad(kInvalidValue, "the grid exceeds the device's maximum (2147483647, 65535, 65535)");
    std::uint64_t threads = (std::uint64_t)block.x * block.y * block.z;
    unsigned limit = f->entry->max_threads ? std::min(1024u, f->entry->max_threads) : 1024u;
    if (block.x > 1024 || block.y > 1024 || block.z > 64 || threads > 1024)
        return bad(kInvalidValue, "the block exceeds the device's maximum (1024 threads; dimensions 1024, 1024, 64)");
    if (threads > limit)
        return bad(kInvalidValue, "a block of " + std::to_string(threads) + " threads exceeds the kernel's maximum of " + std::to_string(limit) +
                                      " (its .maxntid / __launch_bounds__)");
    if (shared > f->max_dynamic_shared)
        return bad(kInvalidValue, std::to_string(shared) + " bytes of dynamic shared memory exceed the kernel's maximum of " +
                                      std::to_string(f->max_dynamic_shared) + " (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)");
    if (extra)
        return bad(kNotSupported, "the 'extra' launch argument (CU_LAUNCH_PARAM_BUFFER_POINTER) is not supported by the emulator; pass kernelParams");
    const auto& image = f->entry->params;
    if (!image.empty() && !params)
        return bad(kInvalidValue, "kernelParams is null but the kernel takes " + std::to_string(image.size()) + " parameters");
    if (!f->cpu)
        return bad(kNotSupported, "the emulator has no CPU build of this kernel: its source must be in kernels/ or tests/CudaGenre.Cuda.Tests/TestKernels/ "
                                  "when tools/cuda-emulator/build.sh runs");
    std::string mismatch = compare_with_cpu(*f);
    if (!mismatch.empty())
        return bad(kInvalidValue, mismatch);
    // The emulator's layout rule (stricter than CUDA, which reads each kernelParams[i] wherever it points): the
    // arguments are packed in one buffer, as KernelArguments packs them, so kernelParams[i] must lie exactly at
    // the image's offset(i) from kernelParams[0]. An argument of the wrong width, or a missing or extra one,
    // moves the ones after it.
    for (std::size_t i = 1; i < image.size(); ++i)
    {
        auto distance = static_cast<std::ptrdiff_t>(static_cast<char*>(params[i]) - static_cast<char*>(params[0]));
        if (distance != static_cast<std::ptrdiff_t>(image[i].offset))
        {
            std::ostringstream o;
            o << "argument " << i << " lies " << distance << " bytes after argument 0, but the kernel's parameter " << i << " is at offset " << image[i].offset
              << " of its parameter list " << layout_text(image)
              << ": an argument before it has the wrong width (e.g. an int where the kernel takes a long long), or one is missing or extra";
            return bad(kInvalidValue, o.str());
        }
    }
    std::size_t total = image.empty() ? 0 : image.back().offset + image.back().size;
    op.args = std::make_shared<std::vector<unsigned char>>(total + 16);
    for (std::size_t i = 0; i < image.size(); ++i)
    {
        std::memcpy(op.args->data() + image[i].offset, params[i], image[i].size);
        op.arg_offsets.push_back(image[i].offset);
    }
    for (std::size_t i = 0; i < image.size(); ++i)
    {
        if (!f->cpu->params[i].pointer)
            continue;
        std::uintptr_t p;
        std::memcpy(&p, op.args->data() + image[i].offset, sizeof p);
        if (!p)
            continue;
        // a pointer argument must lie inside one live device allocation (one past its end is allowed)
        Allocation* a = find_allocation(p);
        std::string why;
        if (!a || a->host)
            why = "is not inside any device allocation";
        else if (!a->live)
            why = "points into freed memory: " + a->describe();
        else if (p < a->base || p > a->base + a->size)
            why = "points outside " + a->describe();
        if (!why.empty())
        {
            std::ostringstream o;
            o << "pointer argument " << i << " (0x" << std::hex << p << std::dec << ") " << why;
            return bad(kInvalidValue, o.str());
        }
    }
    op.kind = OpKind::launch;
    op.function = f;
    op.grid = grid;
    op.block = block;
    op.shared = shared;
    return kSuccess;
}

// Re-checks a recorded launch's pointer arguments (a graph may outlive the buffers it was captured with).
std::string stale_pointer(const Op& op)
{
    if (op.kind == OpKind::launch)
    {
        for (std::size_t i = 0; i < op.arg_offsets.size(); ++i)
        {
            if (!op.function->cpu->params[i].pointer)
                continue;
            std::uintptr_t p;
            std::memcpy(&p, op.args->data() + op.arg_offsets[i], sizeof p);
            Allocation* a = p ? find_allocation(p) : nullptr;
            if (p && (!a || !a->live))
                return op.what + ": pointer argument " + std::to_string(i) + " " + (a ? "points into freed memory: " + a->describe() : "is not inside any allocation");
        }
    }
    else if (op.kind == OpKind::library)
    {
        std::string why = check_device_ranges(op.ranges);
        if (!why.empty())
            return op.what + ": " + why;
    }
    else if (op.kind == OpKind::copy || op.kind == OpKind::memset)
    {
        for (const void* p : {static_cast<const void*>(op.dst), op.src})
        {
            Allocation* a = p ? find_allocation(reinterpret_cast<std::uintptr_t>(p)) : nullptr;
            if (a && !a->live)
                return op.what + ": uses freed memory: " + a->describe();
        }
    }
    return "";
}

Result copy_op(const char* call, void* dst, const void* src, std::size_t bytes, bool dst_device, bool src_device, void* stream_handle)
{
    Result status = ready();
    if (status)
        return status;
    Stream* s = stream_of(stream_handle, status);
    if (!s)
        return status;
    if (bytes == 0)
        return kSuccess;
    auto dev = [&](const void* p, const char* what) { return check_range(reinterpret_cast<std::uintptr_t>(p), bytes, false, what); };
    // Host memory: page-locked when it lies in a cuMemAllocHost block (then the whole range must), else pageable.
    bool pageable = false;
    std::string why;
    for (int side = 0; side < 2 && why.empty(); ++side)
    {
        bool device = side == 0 ? dst_device : src_device;
        const void* p = side == 0 ? dst : src;
        const char* what = side == 0 ? "destination" : "source";
        if (device)
            why = dev(p, what);
        else
        {
            Allocation* a = find_allocation(reinterpret_cast<std::uintptr_t>(p));
            if (a && a->host)
                why = check_range(reinterpret_cast<std::uintptr_t>(p), bytes, true, what);
            else if (a)
                why = std::string(what) + " is device memory where host memory is expected: " + a->describe();
            else
                pageable = true;
        }
    }
    std::ostringstream label;
    label << call << " (" << bytes << " bytes)";
    if (!why.empty())
        return fail(kInvalidValue, label.str() + ": " + why);
    if (pageable && s->capture == Capture::active)
    {
        // Copies between device and pageable host memory cannot be captured (they are synchronous with the host).
        invalidate(s);
        return fail(kCaptureUnsupported, label.str() + ": a copy to or from pageable host memory cannot be captured (the capture is now invalidated)");
    }
    Op op;
    op.kind = OpKind::copy;
    op.what = label.str();
    op.dst = dst;
    op.src = src;
    op.bytes = bytes;
    // "API synchronization behavior" (driver API reference): a pageable source is staged at the call; a copy to
    // pageable memory returns once it has completed; copies with page-locked memory are fully asynchronous.
    if (pageable && !dst_device)
    {
        status = enqueue(s, std::move(op));
        if (status)
            return status;
        run_until(s, s->last_enqueued);
        return g_sticky ? static_cast<Result>(g_sticky) : kSuccess;
    }
    if (pageable && !src_device)
    {
        op.staging = std::make_shared<std::vector<unsigned char>>(static_cast<const unsigned char*>(src), static_cast<const unsigned char*>(src) + bytes);
        op.src = nullptr;
    }
    if (dst_device)
        note_use(reinterpret_cast<std::uintptr_t>(dst), "written by " + op.what);
    return enqueue(s, std::move(op));
}

Result memset_op(const char* call, std::uint64_t dst, std::uint32_t value, std::size_t count, int width, void* stream_handle)
{
    Result status = ready();
    if (status)
        return status;
    Stream* s = stream_of(stream_handle, status);
    if (!s)
        return status;
    if (count == 0)
        return kSuccess;
    std::ostringstream label;
    label << call << " (" << count << " × " << width << " bytes)";
    if (width == 4 && dst % 4)
        return fail(kInvalidValue, label.str() + ": the destination is not 4-byte aligned");
    std::string why = check_range(dst, count * width, false, "destination");
    if (!why.empty())
        return fail(kInvalidValue, label.str() + ": " + why);
    Op op;
    op.kind = OpKind::memset;
    op.what = label.str();
    op.dst = reinterpret_cast<void*>(dst);
    op.bytes = count * width;
    op.value = value;
    op.width = width;
    note_use(dst, "filled by " + op.what);
    return enqueue(s, std::move(op));
}

int device_attribute(int attribute, bool& known)
{
    known = true;
    switch (attribute)
    {
    case 1: return 1024;            // MAX_THREADS_PER_BLOCK
    case 2: return 1024;            // MAX_BLOCK_DIM_X
    case 3: return 1024;            // MAX_BLOCK_DIM_Y
    case 4: return 64;              // MAX_BLOCK_DIM_Z
    case 5: return 2147483647;      // MAX_GRID_DIM_X
    case 6: return 65535;           // MAX_GRID_DIM_Y
    case 7: return 65535;           // MAX_GRID_DIM_Z
    case 8: return 48 * 1024;       // MAX_SHARED_MEMORY_PER_BLOCK
    case 9: return 64 * 1024;       // TOTAL_CONSTANT_MEMORY
    case 10: return 32;             // WARP_SIZE
    case 11: return 2147483647;     // MAX_PITCH
    case 12: return 65536;          // MAX_REGISTERS_PER_BLOCK
    case 13: return 1755000;        // CLOCK_RATE, kHz
    case 14: return 512;            // TEXTURE_ALIGNMENT
    case 15: return 1;              // GPU_OVERLAP
    case 16: return 4;              // MULTIPROCESSOR_COUNT (small: grids sized per SM stay cheap on the CPU)
    case 17: return 0;              // KERNEL_EXEC_TIMEOUT
    case 18: return 0;              // INTEGRATED
    case 19: return 1;              // CAN_MAP_HOST_MEMORY
    case 20: return 0;              // COMPUTE_MODE default
    case 31: return 1;              // CONCURRENT_KERNELS
    case 32: return 0;              // ECC_ENABLED
    case 33: return 1;              // PCI_BUS_ID
    case 34: return 0;              // PCI_DEVICE_ID
    case 35: return 0;              // TCC_DRIVER
    case 36: return 2619000;        // MEMORY_CLOCK_RATE, kHz
    case 37: return 5120;           // GLOBAL_MEMORY_BUS_WIDTH
    case 38: return 50 * 1024 * 1024; // L2_CACHE_SIZE
    case 39: return 2048;           // MAX_THREADS_PER_MULTIPROCESSOR
    case 40: return 2;              // ASYNC_ENGINE_COUNT
    case 41: return 1;              // UNIFIED_ADDRESSING
    case 50: return 0;              // PCI_DOMAIN_ID
    case 75: return 9;              // COMPUTE_CAPABILITY_MAJOR
    case 76: return 0;              // COMPUTE_CAPABILITY_MINOR
    case 81: return 228 * 1024;     // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
    case 82: return 65536;          // MAX_REGISTERS_PER_MULTIPROCESSOR
    case 83: return 0;              // MANAGED_MEMORY (not emulated)
    case 84: return 0;              // MULTI_GPU_BOARD
    case 97: return (int)kMaxSharedOptin; // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    case 106: return 32;            // MAX_BLOCKS_PER_MULTIPROCESSOR
    default: break;
    }
    known = attribute >= 0 && attribute < 140; // other attributes of cuda.h: 0 (feature absent)
    return 0;
}
} // namespace
} // namespace cg_emu

using namespace cg_emu;

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

// ---- errors, init, device ------------------------------------------------------------------------------------
CG_API CUresult cuGetErrorName(CUresult error, const char** pStr)
{
    if (!pStr)
        return kInvalidValue;
    const ErrorText* e = error_text(error);
    *pStr = e ? e->name : nullptr;
    return e ? kSuccess : kInvalidValue;
}

CG_API CUresult cuGetErrorString(CUresult error, const char** pStr)
{
    if (!pStr)
        return kInvalidValue;
    const ErrorText* e = error_text(error);
    if (!e)
    {
        *pStr = nullptr;
        return kInvalidValue;
    }
    Lock lock(g_lock);
    const std::string* detail = nullptr;
    if (t_detail_code == error && !t_detail.empty())
        detail = &t_detail;
    else if (g_sticky == error && !g_sticky_detail.empty())
        detail = &g_sticky_detail;
    if (!detail)
    {
        *pStr = e->text;
        return kSuccess;
    }
    std::string text = std::string(e->text) + " [emulator: " + *detail + "]";
    for (auto& t : g_texts)
        if (t == text)
        {
            *pStr = t.c_str();
            return kSuccess;
        }
    g_texts.push_back(text);
    *pStr = g_texts.back().c_str();
    return kSuccess;
}

CG_API CUresult cuInit(unsigned int flags)
{
    Lock lock(g_lock);
    if (flags != 0)
        return kInvalidValue;
    if (!g_initialized)
    {
        g_initialized = true;
        g_legacy_stream.legacy = true;
    }
    return kSuccess;
}

CG_API CUresult cuDriverGetVersion(int* version)
{
    if (!version)
        return kInvalidValue;
    *version = kDriverVersion;
    return kSuccess;
}

CG_API CUresult cuDeviceGetCount(int* count)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!count)
        return kInvalidValue;
    *count = 1;
    return kSuccess;
}

CG_API CUresult cuDeviceGet(CUdevice* device, int ordinal)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!device)
        return kInvalidValue;
    if (ordinal != 0)
        return kInvalidDevice;
    *device = 0;
    return kSuccess;
}

CG_API CUresult cuDeviceGetName(char* name, int len, CUdevice dev)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!name || len <= 0)
        return kInvalidValue;
    if (dev != 0)
        return kInvalidDevice;
    std::snprintf(name, (std::size_t)len, "%s", kDeviceName);
    return kSuccess;
}

CG_API CUresult cuDeviceGetAttribute(int* pi, int attribute, CUdevice dev)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!pi)
        return kInvalidValue;
    if (dev != 0)
        return kInvalidDevice;
    bool known;
    int value = device_attribute(attribute, known);
    if (!known)
        return kInvalidValue;
    *pi = value;
    return kSuccess;
}

CG_API CUresult cuDeviceTotalMem_v2(std::size_t* bytes, CUdevice dev)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!bytes)
        return kInvalidValue;
    if (dev != 0)
        return kInvalidDevice;
    *bytes = kTotalMemory;
    return kSuccess;
}

// ---- context ------------------------------------------------------------------------------------------------
CG_API CUresult cuDevicePrimaryCtxRetain(void** pctx, CUdevice dev)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!pctx)
        return kInvalidValue;
    if (dev != 0)
        return kInvalidDevice;
    ++g_primary.retains;
    *pctx = &g_primary;
    return kSuccess;
}

CG_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (dev != 0)
        return kInvalidDevice;
    if (g_primary.retains == 0)
        return fail(kInvalidContext, "cuDevicePrimaryCtxRelease: the primary context is not retained");
    // The last release would destroy the context on a GPU; the emulator finishes its work and keeps its objects.
    if (--g_primary.retains == 0)
        run_everything();
    return kSuccess;
}

CG_API CUresult cuCtxSetCurrent(void* ctx)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (ctx && ctx != &g_primary)
        return fail(kInvalidContext, "not a context handle of this driver");
    t_current = static_cast<Context*>(ctx);
    return kSuccess;
}

CG_API CUresult cuCtxGetCurrent(void** pctx)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    if (!pctx)
        return kInvalidValue;
    *pctx = t_current;
    return kSuccess;
}

CG_API CUresult cuCtxSynchronize()
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    // Programming Guide, "Prohibited and Unhandled Operations": synchronizing the device/context while a stream
    // is being captured is invalid (the captures are invalidated).
    bool capturing = false;
    for (Stream* s : g_streams)
        if (s->capture == Capture::active && (s->capture_mode != 2 || s->capture_thread == std::this_thread::get_id()))
        {
            invalidate(s);
            capturing = true;
        }
    if (capturing)
        return fail(kCaptureUnsupported, "cuCtxSynchronize while a stream is being captured (the capture is now invalidated)");
    run_everything();
    return g_sticky ? static_cast<Result>(g_sticky) : kSuccess;
}

CG_API CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!free || !total)
        return kInvalidValue;
    *total = kTotalMemory - kReserved;
    *free = *total - device_bytes_in_use();
    return kSuccess;
}

// ---- streams and events -------------------------------------------------------------------------------------
CG_API CUresult cuStreamCreate(void** phStream, unsigned int flags)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!phStream || (flags & ~1u))
        return kInvalidValue;
    auto* s = new Stream();
    s->flags = flags;
    g_streams.insert(s);
    *phStream = s;
    return kSuccess;
}

CG_API CUresult cuStreamDestroy_v2(void* hStream)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    auto* s = static_cast<Stream*>(hStream);
    if (!g_streams.count(s))
        return fail(kInvalidHandle, "cuStreamDestroy: not a live stream handle (destroyed twice, or the legacy stream)");
    // "work already queued still completes": the emulator runs it now.
    run_all(s);
    if (s->capture_graph)
        delete s->capture_graph;
    if (s->capture == Capture::active && s->capture_mode == 0)
        --g_global_captures;
    for (Event* e : g_events)
        if (e->stream == s)
            e->stream = nullptr;
    g_streams.erase(s);
    delete s;
    return kSuccess;
}

CG_API CUresult cuStreamSynchronize(void* hStream)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    return sync_stream(s, "cuStreamSynchronize");
}

CG_API CUresult cuEventCreate(void** phEvent, unsigned int flags)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!phEvent || (flags & ~0xfu))
        return kInvalidValue;
    auto* e = new Event();
    e->flags = flags;
    g_events.insert(e);
    *phEvent = e;
    return kSuccess;
}

CG_API CUresult cuEventRecord(void* hEvent, void* hStream)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* e = static_cast<Event*>(hEvent);
    if (!g_events.count(e))
        return fail(kInvalidHandle, "cuEventRecord: not a live event handle");
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    Op op;
    op.kind = OpKind::event_record;
    op.what = "cuEventRecord";
    op.event = e;
    return enqueue(s, std::move(op));
}

CG_API CUresult cuEventSynchronize(void* hEvent)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* e = static_cast<Event*>(hEvent);
    if (!g_events.count(e))
        return fail(kInvalidHandle, "cuEventSynchronize: not a live event handle");
    if (!e->recorded || e->completed || !e->stream)
        return g_sticky ? static_cast<Result>(g_sticky) : kSuccess;
    run_until(e->stream, e->seq);
    return g_sticky ? static_cast<Result>(g_sticky) : kSuccess;
}

// The elapsed time is the CPU time between the moments the two records ran (when their streams' work was
// run by a synchronizing call): meaningless as GPU timing, but ordered and positive.
CG_API CUresult cuEventElapsedTime(float* pMilliseconds, void* hStart, void* hEnd)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* a = static_cast<Event*>(hStart);
    auto* b = static_cast<Event*>(hEnd);
    if (!pMilliseconds)
        return kInvalidValue;
    if (!g_events.count(a) || !g_events.count(b))
        return fail(kInvalidHandle, "cuEventElapsedTime: not a live event handle");
    if ((a->flags & 2) || (b->flags & 2))
        return fail(kInvalidHandle, "cuEventElapsedTime: an event was created with CU_EVENT_DISABLE_TIMING");
    if (!a->recorded || !b->recorded)
        return fail(kInvalidHandle, "cuEventElapsedTime: an event has not been recorded");
    if (!a->completed || !b->completed)
        return kNotReady;
    *pMilliseconds = std::chrono::duration<float, std::milli>(b->time - a->time).count();
    return kSuccess;
}

CG_API CUresult cuEventDestroy_v2(void* hEvent)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    auto* e = static_cast<Event*>(hEvent);
    if (!g_events.count(e))
        return fail(kInvalidHandle, "cuEventDestroy: not a live event handle");
    g_events.erase(e);
    delete e;
    return kSuccess;
}

// ---- memory -----------------------------------------------------------------------------------------------------
CG_API CUresult cuMemAlloc_v2(CUdeviceptr* dptr, std::size_t bytesize)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!dptr)
        return kInvalidValue;
    if (Result r = refuse_if_capturing("cuMemAlloc"))
        return r;
    Result status;
    std::uintptr_t p = allocate(bytesize, false, status);
    if (!p)
        return status == kOutOfMemory ? fail(kOutOfMemory, "cuMemAlloc of " + std::to_string(bytesize) + " bytes: " + std::to_string(device_bytes_in_use()) +
                                                               " of the emulated device's " + std::to_string(kTotalMemory - kReserved) + " bytes are in use")
                                      : status;
    *dptr = p;
    return kSuccess;
}

CG_API CUresult cuMemFree_v2(CUdeviceptr dptr)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!dptr)
        return kSuccess;
    if (Result r = refuse_if_capturing("cuMemFree"))
        return r;
    // cuMemFree waits for the device's work (it is synchronous: "API synchronization behavior").
    run_everything();
    std::string detail;
    Result r = release(dptr, false, detail);
    return r ? fail(r, detail) : (g_sticky ? static_cast<Result>(g_sticky) : kSuccess);
}

CG_API CUresult cuMemAllocHost_v2(void** pp, std::size_t bytesize)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!pp)
        return kInvalidValue;
    if (Result r = refuse_if_capturing("cuMemAllocHost"))
        return r;
    Result status;
    std::uintptr_t p = allocate(bytesize, true, status);
    if (!p)
        return status;
    *pp = reinterpret_cast<void*>(p);
    return kSuccess;
}

CG_API CUresult cuMemFreeHost(void* p)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (Result r = refuse_if_capturing("cuMemFreeHost"))
        return r;
    run_everything();
    std::string detail;
    Result r = release(reinterpret_cast<std::uintptr_t>(p), true, detail);
    return r ? fail(r, detail) : kSuccess;
}

CG_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, std::size_t bytes, void* stream)
{
    Lock lock(g_lock);
    return copy_op("cuMemcpyHtoDAsync", reinterpret_cast<void*>(dst), src, bytes, true, false, stream);
}

CG_API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, std::size_t bytes, void* stream)
{
    Lock lock(g_lock);
    return copy_op("cuMemcpyDtoHAsync", dst, reinterpret_cast<const void*>(src), bytes, false, true, stream);
}

CG_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes, void* stream)
{
    Lock lock(g_lock);
    return copy_op("cuMemcpyDtoDAsync", reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes, true, true, stream);
}

CG_API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, std::size_t n, void* stream)
{
    Lock lock(g_lock);
    return memset_op("cuMemsetD8Async", dst, value, n, 1, stream);
}

CG_API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, std::size_t n, void* stream)
{
    Lock lock(g_lock);
    return memset_op("cuMemsetD32Async", dst, value, n, 4, stream);
}

// ---- modules and kernels ------------------------------------------------------------------------------------
CG_API CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned int numOptions, int* options, void** optionValues)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    if (!module || !image || (numOptions && (!options || !optionValues)))
        return kInvalidValue;
    char* error_log = nullptr;
    std::size_t error_size = 0;
    char* info_log = nullptr;
    std::size_t info_size = 0;
    for (unsigned i = 0; i < numOptions; ++i)
    {
        auto size = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(optionValues[i]));
        switch (options[i])
        {
        case 3: info_log = static_cast<char*>(optionValues[i]); break;  // CU_JIT_INFO_LOG_BUFFER
        case 4: info_size = size; break;                                // CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES
        case 5: error_log = static_cast<char*>(optionValues[i]); break; // CU_JIT_ERROR_LOG_BUFFER
        case 6: error_size = size; break;                               // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
        default: break;                                                 // other JIT options: accepted, no effect
        }
    }
    auto write_log = [](char* buffer, std::size_t size, const std::string& text) {
        if (buffer && size)
            std::snprintf(buffer, size, "%s", text.c_str());
    };
    write_log(info_log, info_size, "");
    write_log(error_log, error_size, "");
    auto m = std::make_unique<Module>();
    std::string log;
    ImageStatus st = parse_module_image(image, m->image, log);
    if (st != ImageStatus::ok)
    {
        write_log(error_log, error_size, log);
        Result code = st == ImageStatus::invalid_ptx ? kInvalidPtx : st == ImageStatus::fatbin ? kNotSupported : kInvalidImage;
        return fail(code, "cuModuleLoadData: " + log);
    }
    if (m->image.is_cubin && m->image.arch != 90)
    {
        std::string why = "a CUBIN for sm_" + std::to_string(m->image.arch) + " cannot run on this compute capability 9.0 device";
        write_log(error_log, error_size, why);
        return fail(static_cast<Result>(209), "cuModuleLoadData: " + why); // CUDA_ERROR_NO_BINARY_FOR_GPU
    }
    if (!m->image.is_cubin && m->image.arch > 90)
    {
        std::string why = "PTX for compute_" + std::to_string(m->image.arch) + " cannot be JIT-compiled for this compute capability 9.0 device";
        write_log(error_log, error_size, why);
        return fail(kInvalidPtx, "cuModuleLoadData: " + why);
    }
    m->label = std::string(m->image.is_cubin ? "CUBIN" : "PTX") + " module #" + std::to_string(++g_module_count);
    g_modules.insert(m.get());
    *module = m.release();
    return kSuccess;
}

CG_API CUresult cuModuleLoadData(void** module, const void* image) { return cuModuleLoadDataEx(module, image, 0, nullptr, nullptr); }

CG_API CUresult cuModuleUnload(void* hmod)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    auto* m = static_cast<Module*>(hmod);
    if (!g_modules.count(m))
        return fail(kInvalidHandle, "cuModuleUnload: not a loaded module");
    // Its kernels may still be queued: finish them first. The Module object is kept (graphs may name its
    // functions); its functions are no longer valid handles.
    run_everything();
    g_modules.erase(m);
    m->loaded = false;
    for (auto& f : m->functions)
        g_functions.erase(f.get());
    return kSuccess;
}

CG_API CUresult cuModuleGetFunction(void** hfunc, void* hmod, const char* name)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* m = static_cast<Module*>(hmod);
    if (!hfunc || !name)
        return kInvalidValue;
    if (!g_modules.count(m))
        return fail(kInvalidHandle, "cuModuleGetFunction: not a loaded module");
    for (auto& f : m->functions)
        if (f->name == name)
        {
            *hfunc = f.get();
            return kSuccess;
        }
    const ImageEntry* entry = m->image.find(name);
    if (!entry)
        return fail(kNotFound, std::string("cuModuleGetFunction: the ") + m->label + " has no entry point named '" + name + "'");
    auto f = std::make_unique<Function>();
    f->module = m;
    f->name = name;
    f->entry = entry;
    f->cpu = find_kernel(name);
    f->max_dynamic_shared = std::min<unsigned>(kMaxDynamicSharedDefault, kMaxSharedOptin - std::min(kMaxSharedOptin, entry->static_shared));
    g_functions.insert(f.get());
    *hfunc = f.get();
    m->functions.push_back(std::move(f));
    return kSuccess;
}

CG_API CUresult cuFuncGetAttribute(int* pi, int attribute, void* hfunc)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* f = static_cast<Function*>(hfunc);
    if (!pi)
        return kInvalidValue;
    if (!g_functions.count(f))
        return fail(kInvalidHandle, "cuFuncGetAttribute: not a function of a loaded module");
    const ImageEntry& e = *f->entry;
    switch (attribute)
    {
    case 0: *pi = e.max_threads ? (int)std::min(1024u, e.max_threads) : 1024; break; // MAX_THREADS_PER_BLOCK
    case 1: *pi = (int)e.static_shared; break;                                        // SHARED_SIZE_BYTES
    case 2: *pi = 0; break;                                                           // CONST_SIZE_BYTES
    case 3: *pi = (int)e.local_bytes; break;                                          // LOCAL_SIZE_BYTES
    case 4: *pi = e.registers ? (int)e.registers : kDefaultRegisters; break;          // NUM_REGS
    case 5: *pi = f->module->image.arch; break;                                       // PTX_VERSION
    case 6: *pi = 90; break;                                                          // BINARY_VERSION
    case 7: *pi = 0; break;                                                           // CACHE_MODE_CA
    case 8: *pi = (int)f->max_dynamic_shared; break;                                  // MAX_DYNAMIC_SHARED_SIZE_BYTES
    case 9: *pi = f->carveout; break;                                                 // PREFERRED_SHARED_MEMORY_CARVEOUT
    case 10: case 11: case 12: case 13: case 14: case 15: *pi = 0; break;             // cluster attributes: none
    default: return fail(kInvalidValue, "cuFuncGetAttribute: unknown attribute " + std::to_string(attribute));
    }
    return kSuccess;
}

CG_API CUresult cuFuncSetAttribute(void* hfunc, int attribute, int value)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* f = static_cast<Function*>(hfunc);
    if (!g_functions.count(f))
        return fail(kInvalidHandle, "cuFuncSetAttribute: not a function of a loaded module");
    if (attribute == 8)
    {
        if (value < 0 || (unsigned)value + f->entry->static_shared > kMaxSharedOptin)
            return fail(kInvalidValue, "cuFuncSetAttribute: " + std::to_string(value) + " bytes of dynamic shared memory plus " +
                                           std::to_string(f->entry->static_shared) + " static exceed the device's " + std::to_string(kMaxSharedOptin));
        f->max_dynamic_shared = (unsigned)value;
        return kSuccess;
    }
    if (attribute == 9)
    {
        if (value < -1 || value > 100)
            return fail(kInvalidValue, "cuFuncSetAttribute: a carve-out is -1 or 0..100 percent");
        f->carveout = value;
        return kSuccess;
    }
    return fail(kInvalidValue, "cuFuncSetAttribute: attribute " + std::to_string(attribute) + " cannot be set");
}

CG_API CUresult cuLaunchKernel(void* f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                               unsigned int blockDimZ, unsigned int sharedMemBytes, void* hStream, void** kernelParams, void** extra)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* function = static_cast<Function*>(f);
    if (!g_functions.count(function))
        return fail(kInvalidHandle, "cuLaunchKernel: not a function of a loaded module");
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    Op op;
    status = check_and_build_launch(function, Dim3{gridDimX, gridDimY, gridDimZ}, Dim3{blockDimX, blockDimY, blockDimZ}, sharedMemBytes, kernelParams, extra, op);
    if (status)
        return status;
    ++g_launches;
    for (std::size_t i = 0; i < op.arg_offsets.size(); ++i)
        if (function->cpu->params[i].pointer)
        {
            std::uintptr_t p;
            std::memcpy(&p, op.args->data() + op.arg_offsets[i], sizeof p);
            if (p)
                note_use(p, "argument " + std::to_string(i) + " of " + op.what);
        }
    return enqueue(s, std::move(op));
}

// ---- stream capture and graphs ---------------------------------------------------------------------------
CG_API CUresult cuStreamBeginCapture_v2(void* hStream, int mode)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    // cuStreamBeginCapture: "Capture may not be initiated if stream is CU_STREAM_LEGACY", nor on a stream already capturing.
    if (s->legacy)
        return fail(kInvalidValue, "cuStreamBeginCapture: capture may not be initiated on the legacy default stream");
    if (mode < 0 || mode > 2)
        return fail(kInvalidValue, "cuStreamBeginCapture: unknown capture mode " + std::to_string(mode));
    if (s->capture != Capture::none)
        return fail(kIllegalState, "cuStreamBeginCapture: the stream is already capturing");
    s->capture = Capture::active;
    s->capture_mode = mode;
    s->capture_thread = std::this_thread::get_id();
    s->capture_graph = new Graph();
    if (mode == 0)
        ++g_global_captures;
    return kSuccess;
}

CG_API CUresult cuStreamEndCapture(void* hStream, void** phGraph)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    if (!phGraph)
        return kInvalidValue;
    if (s->capture == Capture::none)
        return fail(kIllegalState, "cuStreamEndCapture: the stream is not capturing");
    if (s->capture_mode != 2 && s->capture_thread != std::this_thread::get_id())
        return fail(kCaptureWrongThread, "cuStreamEndCapture: a global or thread-local capture must be ended on the thread that began it");
    bool invalid = s->capture == Capture::invalidated;
    Graph* g = s->capture_graph;
    s->capture_graph = nullptr;
    if (s->capture_mode == 0)
        --g_global_captures;
    s->capture = Capture::none;
    if (invalid)
    {
        delete g;
        *phGraph = nullptr;
        return fail(kCaptureInvalidated, "cuStreamEndCapture: the capture was invalidated by an earlier refused call; no graph");
    }
    g_graphs.insert(g);
    *phGraph = g;
    return kSuccess;
}

CG_API CUresult cuStreamIsCapturing(void* hStream, int* captureStatus)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    if (!captureStatus)
        return kInvalidValue;
    if (s->legacy)
    {
        // the legacy stream reports a blocking stream's capture as an error (CUDA_ERROR_STREAM_CAPTURE_IMPLICIT)
        for (Stream* b : g_streams)
            if (!(b->flags & 1) && b->capture == Capture::active)
                return fail(kCaptureImplicit, "cuStreamIsCapturing on the legacy stream while a blocking stream is being captured");
    }
    *captureStatus = static_cast<int>(s->capture);
    return kSuccess;
}

CG_API CUresult cuGraphInstantiateWithFlags(void** phGraphExec, void* hGraph, unsigned long long flags)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* g = static_cast<Graph*>(hGraph);
    if (!phGraphExec)
        return kInvalidValue;
    if (!g_graphs.count(g))
        return fail(kInvalidHandle, "cuGraphInstantiate: not a live graph");
    if (flags & ~0xfull)
        return fail(kInvalidValue, "cuGraphInstantiate: unknown flags");
    for (auto& op : g->nodes)
    {
        std::string why = stale_pointer(op);
        if (!why.empty())
            return fail(kInvalidValue, "cuGraphInstantiate: " + why);
    }
    auto* e = new GraphExec{g->nodes};
    g_execs.insert(e);
    *phGraphExec = e;
    return kSuccess;
}

CG_API CUresult cuGraphLaunch(void* hGraphExec, void* hStream)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    auto* e = static_cast<GraphExec*>(hGraphExec);
    if (!g_execs.count(e))
        return fail(kInvalidHandle, "cuGraphLaunch: not a live executable graph");
    Result status = kSuccess;
    Stream* s = stream_of(hStream, status);
    if (!s)
        return status;
    for (auto& op : e->nodes)
    {
        std::string why = stale_pointer(op);
        if (!why.empty())
            return fail(kInvalidValue, "cuGraphLaunch: " + why);
        if (op.kind == OpKind::launch && !g_functions.count(op.function))
            return fail(kInvalidValue, "cuGraphLaunch: " + op.what + ": its module was unloaded");
    }
    for (auto& node : e->nodes)
    {
        Op op = node;
        op.deps.clear();
        if (op.kind == OpKind::launch)
            ++g_launches;
        if (Result r = enqueue(s, std::move(op)))
            return r;
    }
    return kSuccess;
}

// ---- device services for the emulated libraries (device_services.h) -------------------------------------
namespace cg_emu
{
std::string check_device_ranges(const std::vector<DeviceRange>& ranges)
{
    Lock lock(g_lock);
    std::string why;
    for (const DeviceRange& r : ranges)
    {
        if (r.bytes == 0 && r.address == 0)
            continue;
        why = check_range(static_cast<std::uintptr_t>(r.address), r.bytes, false, r.what ? r.what : "a library operand");
        if (!why.empty())
            return why;
    }
    return "";
}

int enqueue_library_work(void* stream, const std::string& what, std::vector<DeviceRange> ranges, LibraryWork work)
{
    Lock lock(g_lock);
    if (Result r = ready())
        return r;
    Result status = kSuccess;
    Stream* s = stream_of(stream, status);
    if (!s)
        return status;
    if (!work)
        return fail(kInvalidValue, what + ": no work");
    std::string why = check_device_ranges(ranges);
    if (!why.empty())
        return fail(kInvalidValue, what + ": " + why);
    Op op;
    op.kind = OpKind::library;
    op.what = what;
    op.work = std::make_shared<LibraryWork>(std::move(work));
    op.ranges = std::move(ranges);
    for (const DeviceRange& r : op.ranges)
        if (r.address)
            note_use(static_cast<std::uintptr_t>(r.address), std::string(r.what ? r.what : "operand") + " of " + what);
    return enqueue(s, std::move(op));
}
} // namespace cg_emu

CG_API CUresult cuGraphExecDestroy(void* hGraphExec)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    auto* e = static_cast<GraphExec*>(hGraphExec);
    if (!g_execs.count(e))
        return fail(kInvalidHandle, "cuGraphExecDestroy: not a live executable graph");
    // Queued launches hold copies of the nodes, so the executable graph can go now.
    g_execs.erase(e);
    delete e;
    return kSuccess;
}

CG_API CUresult cuGraphDestroy(void* hGraph)
{
    Lock lock(g_lock);
    if (Result r = ready(false))
        return r;
    auto* g = static_cast<Graph*>(hGraph);
    if (!g_graphs.count(g))
        return fail(kInvalidHandle, "cuGraphDestroy: not a live graph");
    g_graphs.erase(g);
    delete g;
    return kSuccess;
}
