// runtime.cpp — runs CPU-compiled kernels (shim/cuda_cpu.h) as CUDA would: the registry of entry points, and
// run_grid, which runs the blocks of a grid one after another with one OS thread per CUDA thread.
//
// Every piece of block state is guarded by one mutex, and every wait is on a condition variable under it, so
// the runtime is race-free under ThreadSanitizer and a barrier is a real happens-before edge between the
// threads of a block: a __syncthreads missing from a kernel leaves its shared-memory accesses unordered, which
// ThreadSanitizer reports as a data race.
//
// A kernel that faults (null or wild pointer) takes the process down, as it would take the context down on a
// GPU; a kernel that loops forever without reaching a barrier hangs the launch.
#include "emulator.h"

#include "cuda_cpu_device.h"

#include <pthread.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cg_emu
{
__thread uint3 builtin_thread_idx;
__thread uint3 builtin_block_idx;
__thread dim3 builtin_block_dim;
__thread dim3 builtin_grid_dim;

namespace
{
struct Registered
{
    const Kernel* kernel;
    SharedSection shared;
};

struct Span
{
    unsigned char* begin;
    std::size_t size;
};

// The bytes of a module's __shared__ section that belong to variables. Under AddressSanitizer the section also
// holds the poisoned red zones g++ puts after the arrays of non-template functions; they must stay poisoned
// (and unwritten) so that an out-of-bounds access to those arrays is reported.
std::vector<Span> variable_spans(SharedSection shared)
{
    std::vector<Span> spans;
#if defined(__SANITIZE_ADDRESS__)
    for (unsigned char* p = shared.begin; p < shared.end;)
    {
        unsigned char* start = p;
        while (p < shared.end && __asan_address_is_poisoned(p) == 0)
            ++p;
        if (p > start)
            spans.push_back({start, static_cast<std::size_t>(p - start)});
        while (p < shared.end && __asan_address_is_poisoned(p) != 0)
            ++p;
    }
#else
    if (shared.begin != shared.end)
        spans.push_back({shared.begin, static_cast<std::size_t>(shared.end - shared.begin)});
#endif
    return spans;
}

// Filled by the static registrars of the kernel files, before any launch (load time).
std::vector<Registered>& registry()
{
    static std::vector<Registered> kernels;
    return kernels;
}

constexpr unsigned kMaxBlockThreads = 1024;
constexpr unsigned kNone = ~0u;

enum class Wait
{
    none,
    barrier,
    shuffle
};

// One CUDA thread slot of the block: the OS thread that runs thread index `tid`, and where it waits.
struct Slot
{
    std::condition_variable wake;
    std::uint64_t job = 0; // bumped to start this thread on the current block
    Wait wait = Wait::none;
    bool exited = false;
    const char* file = nullptr;
    int line = 0;
    // __shfl_xor_sync: this lane's mask, value, source lane and (once the warp completes it) result.
    unsigned mask = 0;
    std::uint64_t value = 0;
    unsigned source = 0;
    std::uint64_t result = 0;
    std::uint64_t shuffles_done = 0;
};

std::string site(const char* file, int line)
{
    return std::string(file) + ":" + std::to_string(line);
}

std::string hex_mask(unsigned mask)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", mask);
    return text;
}

// The emulated multiprocessor: one block at a time, a pool of OS threads reused from block to block.
class Device
{
public:
    std::string run_grid(const Kernel& kernel, Dim3 grid, Dim3 block, void* const* args);
    void syncthreads(const char* file, int line);
    std::uint64_t shuffle(const char* file, int line, unsigned mask, std::uint64_t value, int lane_mask, int width);

private:
    const std::vector<Span>& shared_spans(const Kernel& kernel);
    void grow_pool(unsigned threads);
    static void* worker_main(void* arg);
    void worker(unsigned tid);
    void thread_exited(unsigned tid);
    [[noreturn]] void fail_and_unwind(const std::string& message);
    void fail(const std::string& message);
    std::string deadlock() const;
    std::string thread_name(unsigned tid) const;
    unsigned current_tid() const;

    std::mutex grid_mutex_; // one grid at a time, whichever host thread launches it; guards spans_
    std::vector<std::pair<unsigned char*, std::vector<Span>>> spans_; // per module's section, found once

    std::mutex mutex_; // guards everything below
    std::condition_variable block_done_;
    std::vector<std::unique_ptr<Slot>> slots_;
    // The running block.
    const Kernel* kernel_ = nullptr;
    void* const* args_ = nullptr;
    Dim3 grid_{}, block_{}, block_idx_{};
    unsigned threads_ = 0, finished_ = 0, live_ = 0, blocked_ = 0;
    unsigned first_exited_ = kNone;
    // The open __syncthreads: its site, its first arrival, how many wait there.
    const char* barrier_file_ = nullptr;
    int barrier_line_ = 0;
    unsigned barrier_first_ = kNone, at_barrier_ = 0;
    std::uint64_t barriers_done_ = 0;
    bool failed_ = false;
    std::string error_;
};

thread_local unsigned t_tid = kNone; // the CUDA thread this OS thread runs (pool workers only)

Device& device()
{
    static Device* instance = new Device; // never destroyed: pool threads may still wait on it at exit
    return *instance;
}

bool same_site(const char* file_a, int line_a, const char* file_b, int line_b)
{
    return line_a == line_b && std::strcmp(file_a, file_b) == 0;
}

unsigned Device::current_tid() const
{
    if (t_tid == kNone)
    {
        std::fprintf(stderr, "cuda-emulator: __syncthreads/__shfl_xor_sync called outside a kernel launch\n");
        std::abort();
    }
    return t_tid;
}

std::string Device::thread_name(unsigned tid) const
{
    return "thread (" + std::to_string(tid % block_.x) + "," + std::to_string(tid / block_.x % block_.y) + "," +
           std::to_string(tid / (block_.x * block_.y)) + ")";
}

const std::vector<Span>& Device::shared_spans(const Kernel& kernel)
{
    SharedSection shared{nullptr, nullptr};
    for (const Registered& r : registry())
        if (r.kernel == &kernel)
            shared = r.shared;
    for (const auto& [begin, spans] : spans_)
        if (begin == shared.begin)
            return spans;
    spans_.emplace_back(shared.begin, variable_spans(shared));
    return spans_.back().second;
}

void Device::grow_pool(unsigned threads)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1u << 20); // kernels keep a few small arrays; 1024 threads × 1 MiB virtual
    while (slots_.size() < threads)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        slots_.push_back(std::make_unique<Slot>());
        const auto tid = static_cast<std::uintptr_t>(slots_.size() - 1);
        lock.unlock();
        pthread_t thread;
        if (pthread_create(&thread, &attr, &Device::worker_main, reinterpret_cast<void*>(tid)) != 0)
        {
            std::fprintf(stderr, "cuda-emulator: cannot start CPU thread %u of a block\n", static_cast<unsigned>(tid));
            std::abort();
        }
        pthread_detach(thread);
    }
    pthread_attr_destroy(&attr);
}

void* Device::worker_main(void* arg)
{
    device().worker(static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(arg)));
    return nullptr;
}

void Device::worker(unsigned tid)
{
    t_tid = tid;
    std::unique_lock<std::mutex> lock(mutex_);
    Slot& slot = *slots_[tid];
    std::uint64_t seen = 0;
    for (;;)
    {
        slot.wake.wait(lock, [&] { return slot.job != seen; });
        seen = slot.job;
        builtin_thread_idx = {tid % block_.x, tid / block_.x % block_.y, tid / (block_.x * block_.y)};
        builtin_block_idx = {block_idx_.x, block_idx_.y, block_idx_.z};
        builtin_block_dim = dim3(block_.x, block_.y, block_.z);
        builtin_grid_dim = dim3(grid_.x, grid_.y, grid_.z);
        const Kernel* kernel = kernel_;
        void* const* args = args_;
        lock.unlock();
        try
        {
            kernel->thread_body(args);
        }
        catch (const BlockAborted&)
        {
        }
        lock.lock();
        thread_exited(tid);
        if (++finished_ == threads_)
            block_done_.notify_one();
    }
}

// Records the failure and wakes every waiting thread, which then throws BlockAborted.
void Device::fail(const std::string& message)
{
    if (failed_)
        return;
    failed_ = true;
    error_ = message;
    for (unsigned t = 0; t < threads_; ++t)
        if (slots_[t]->wait != Wait::none)
            slots_[t]->wake.notify_one();
}

void Device::fail_and_unwind(const std::string& message)
{
    fail(message);
    throw BlockAborted{};
}

// Called when every live thread waits: each arrival already released what it could, so none ever will be.
std::string Device::deadlock() const
{
    std::string message = "deadlock: every live thread waits and none can be released:";
    std::vector<bool> told(threads_, false);
    for (unsigned t = 0; t < threads_; ++t)
    {
        const Slot& s = *slots_[t];
        if (told[t] || s.wait == Wait::none)
            continue;
        unsigned count = 0;
        for (unsigned u = t; u < threads_; ++u)
        {
            const Slot& o = *slots_[u];
            if (!told[u] && o.wait == s.wait && same_site(o.file, o.line, s.file, s.line) &&
                (s.wait == Wait::barrier || (u / 32 == t / 32 && o.mask == s.mask)))
            {
                told[u] = true;
                ++count;
            }
        }
        message += " " + std::to_string(count) + (count == 1 ? " thread" : " threads") + " from " + thread_name(t) +
                   (s.wait == Wait::barrier ? " at __syncthreads " : " at __shfl_xor_sync (mask " + hex_mask(s.mask) + ") ") +
                   site(s.file, s.line) + ";";
    }
    message.pop_back();
    return message;
}

void Device::thread_exited(unsigned tid)
{
    Slot& slot = *slots_[tid];
    slot.exited = true;
    --live_;
    if (failed_)
        return;
    if (first_exited_ == kNone)
        first_exited_ = tid;
    if (at_barrier_ > 0)
        return fail(thread_name(tid) + " returned while " + thread_name(barrier_first_) + " waits at __syncthreads at " +
                    site(barrier_file_, barrier_line_));
    const unsigned warp = tid / 32 * 32;
    for (unsigned u = warp; u < threads_ && u < warp + 32; ++u)
    {
        const Slot& o = *slots_[u];
        if (o.wait == Wait::shuffle && (o.mask >> (tid % 32) & 1u) != 0)
            return fail(thread_name(tid) + " returned while " + thread_name(u) + " waits for it at __shfl_xor_sync at " +
                        site(o.file, o.line) + " (mask " + hex_mask(o.mask) + ")");
    }
    if (live_ > 0 && blocked_ == live_)
        fail(deadlock());
}

void Device::syncthreads(const char* file, int line)
{
    const unsigned tid = current_tid();
    std::unique_lock<std::mutex> lock(mutex_);
    if (failed_)
        throw BlockAborted{};
    auto here = [&] { return thread_name(tid) + " reached __syncthreads at " + site(file, line); }; // only on failure
    if (first_exited_ != kNone)
        fail_and_unwind(here() + " after " + thread_name(first_exited_) + " returned");
    if (at_barrier_ > 0 && !same_site(file, line, barrier_file_, barrier_line_))
        fail_and_unwind(here() + " while " + thread_name(barrier_first_) + " waits at " + site(barrier_file_, barrier_line_));
    Slot& slot = *slots_[tid];
    if (at_barrier_ == 0)
    {
        barrier_file_ = file;
        barrier_line_ = line;
        barrier_first_ = tid;
    }
    slot.wait = Wait::barrier;
    slot.file = file;
    slot.line = line;
    if (++at_barrier_ == live_)
    {
        for (unsigned t = 0; t < threads_; ++t)
            if (slots_[t]->wait == Wait::barrier)
                slots_[t]->wait = Wait::none;
        blocked_ -= at_barrier_ - 1;
        at_barrier_ = 0;
        ++barriers_done_;
        // Woken after the unlock, so that they do not wake only to wait for the mutex.
        const unsigned threads = threads_;
        lock.unlock();
        for (unsigned t = 0; t < threads; ++t)
            if (t != tid)
                slots_[t]->wake.notify_one();
        return;
    }
    if (++blocked_ == live_)
        fail_and_unwind(deadlock());
    const std::uint64_t generation = barriers_done_;
    slot.wake.wait(lock, [&] { return barriers_done_ != generation || failed_; });
    if (barriers_done_ == generation)
        throw BlockAborted{};
}

std::uint64_t Device::shuffle(const char* file, int line, unsigned mask, std::uint64_t value, int lane_mask, int width)
{
    const unsigned tid = current_tid();
    std::unique_lock<std::mutex> lock(mutex_);
    if (failed_)
        throw BlockAborted{};
    const unsigned lane = tid % 32, warp = tid - lane;
    const unsigned lanes = threads_ - warp < 32 ? threads_ - warp : 32; // a last, partial warp has fewer
    const unsigned present = lanes == 32 ? ~0u : (1u << lanes) - 1;
    auto here = [&] // only on failure
    { return thread_name(tid) + " reached __shfl_xor_sync at " + site(file, line) + " (mask " + hex_mask(mask) + ")"; };
    if (width < 1 || width > 32 || (width & (width - 1)) != 0)
        fail_and_unwind(here() + " with width " + std::to_string(width) + ", not a power of two ≤ 32");
    if ((mask >> lane & 1u) == 0)
        fail_and_unwind(here() + ", a mask without its own lane " + std::to_string(lane));
    // PTX shfl.sync.bfly: the source lane is lane ^ lane_mask unless that is past the end of this lane's
    // segment of `width` lanes, in which case the lane reads its own value.
    const unsigned segment = 32u - static_cast<unsigned>(width);
    const unsigned source_lane = lane ^ static_cast<unsigned>(lane_mask);
    const unsigned source = source_lane <= ((lane & segment) | (31u & ~segment)) ? source_lane : lane;
    if ((present >> source & 1u) == 0)
        fail_and_unwind(here() + " reads lane " + std::to_string(source) + ", which does not exist in a block of " +
                       std::to_string(threads_) + " threads");
    if ((mask >> source & 1u) == 0)
        fail_and_unwind(here() + " reads lane " + std::to_string(source) + ", which is not in the mask");
    const unsigned members = mask & present;
    unsigned arrived = 1;
    for (unsigned l = 0; l < lanes; ++l)
    {
        if (l == lane || (members >> l & 1u) == 0)
            continue;
        const Slot& o = *slots_[warp + l];
        if (o.exited)
            fail_and_unwind(here() + " after " + thread_name(warp + l) + ", which the mask names, returned");
        if (o.wait == Wait::shuffle)
        {
            if (!same_site(file, line, o.file, o.line) || o.mask != mask)
                fail_and_unwind(here() + " while " + thread_name(warp + l) + " waits at __shfl_xor_sync at " + site(o.file, o.line) +
                               " (mask " + hex_mask(o.mask) + ")");
            ++arrived;
        }
    }
    Slot& slot = *slots_[tid];
    slot.wait = Wait::shuffle;
    slot.file = file;
    slot.line = line;
    slot.mask = mask;
    slot.value = value;
    slot.source = warp + source;
    if (arrived == static_cast<unsigned>(__builtin_popcount(members)))
    {
        // The whole group is here: hand every lane its source's value, then release them.
        for (unsigned l = 0; l < lanes; ++l)
            if ((members >> l & 1u) != 0)
                slots_[warp + l]->result = slots_[slots_[warp + l]->source]->value;
        for (unsigned l = 0; l < lanes; ++l)
            if ((members >> l & 1u) != 0)
            {
                slots_[warp + l]->wait = Wait::none;
                ++slots_[warp + l]->shuffles_done;
            }
        blocked_ -= arrived - 1;
        const std::uint64_t result = slot.result;
        lock.unlock();
        for (unsigned l = 0; l < lanes; ++l)
            if ((members >> l & 1u) != 0 && warp + l != tid)
                slots_[warp + l]->wake.notify_one();
        return result;
    }
    if (++blocked_ == live_)
        fail_and_unwind(deadlock());
    const std::uint64_t done = slot.shuffles_done;
    slot.wake.wait(lock, [&] { return slot.shuffles_done != done || failed_; });
    if (slot.shuffles_done == done)
        throw BlockAborted{};
    return slot.result;
}

std::string Device::run_grid(const Kernel& kernel, Dim3 grid, Dim3 block, void* const* args)
{
    const std::string name = std::string("kernel ") + kernel.name;
    auto dims = [](Dim3 d) { return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")"; };
    if (block.x == 0 || block.y == 0 || block.z == 0 || block.x > 1024 || block.y > 1024 || block.z > 64)
        return name + ": block " + dims(block) + " is invalid (each dimension ≥ 1; x, y ≤ 1024, z ≤ 64)";
    const unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
    if (threads > kMaxBlockThreads)
        return name + ": block " + dims(block) + " has " + std::to_string(threads) + " threads; the device allows at most " +
               std::to_string(kMaxBlockThreads);
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535)
        return name + ": grid " + dims(grid) + " is invalid (each dimension ≥ 1; x < 2^31, y, z ≤ 65535)";

    std::lock_guard<std::mutex> one_grid(grid_mutex_);
    const std::vector<Span>& shared = shared_spans(kernel);
    grow_pool(static_cast<unsigned>(threads));
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x)
            {
                // Every pool thread is idle here, so the poison is ordered before the block's accesses by the
                // mutex that starts them.
                for (const Span& span : shared)
                    std::memset(span.begin, 0xff, span.size);
                std::unique_lock<std::mutex> lock(mutex_);
                kernel_ = &kernel;
                args_ = args;
                grid_ = grid;
                block_ = block;
                block_idx_ = {x, y, z};
                threads_ = live_ = static_cast<unsigned>(threads);
                finished_ = blocked_ = at_barrier_ = 0;
                first_exited_ = barrier_first_ = kNone;
                failed_ = false;
                error_.clear();
                for (unsigned t = 0; t < threads_; ++t)
                {
                    Slot& s = *slots_[t];
                    s.wait = Wait::none;
                    s.exited = false;
                    ++s.job;
                }
                lock.unlock();
                for (unsigned t = 0; t < threads; ++t)
                    slots_[t]->wake.notify_one();
                lock.lock();
                block_done_.wait(lock, [&] { return finished_ == threads_; });
                if (failed_)
                    return name + " block " + dims(block_idx_) + ": " + error_;
            }
    return "";
}
} // namespace

void register_kernel(const Kernel* kernel, SharedSection shared)
{
    if (const Kernel* other = find_kernel(kernel->name))
    {
        std::fprintf(stderr, "cuda-emulator: kernel %s is defined twice (%s and %s)\n", kernel->name, other->file, kernel->file);
        std::abort();
    }
    registry().push_back({kernel, shared});
}

const Kernel* find_kernel(const char* name)
{
    for (const Registered& r : registry())
        if (std::strcmp(r.kernel->name, name) == 0)
            return r.kernel;
    return nullptr;
}

int kernel_count()
{
    return static_cast<int>(registry().size());
}

const Kernel* kernel_at(int index)
{
    return index >= 0 && index < kernel_count() ? registry()[static_cast<std::size_t>(index)].kernel : nullptr;
}

std::string run_grid(const Kernel& kernel, Dim3 grid, Dim3 block, unsigned /*dynamic_shared_bytes: no kernel declares extern __shared__*/, void* const* args)
{
    return device().run_grid(kernel, grid, block, args);
}

void syncthreads(const char* file, int line)
{
    device().syncthreads(file, line);
}

std::uint64_t shfl_xor_bits(const char* file, int line, unsigned mask, std::uint64_t value, int lane_mask, int width)
{
    return device().shuffle(file, line, mask, value, lane_mask, width);
}
} // namespace cg_emu
