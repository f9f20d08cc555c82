// runtime.cpp — runs CPU-compiled kernels (shim/cuda_cpu.h) as CUDA would: the registry of entry points, and
// run_grid, which runs the blocks of a grid one after another on the emulated multiprocessor: one OS thread that
// runs each CUDA thread of a block as a fiber (its own stack), switching at __syncthreads and __shfl_xor_sync.
// A switch costs nanoseconds where an OS-thread handoff cost microseconds, and the run is deterministic.
//
// Under ThreadSanitizer every fiber is a thread of its own (switches are announced without synchronization), the
// runtime's own bookkeeping is hidden from it (BlockLock), and the only happens-before edges between the threads
// of a block are the ones CUDA defines, made explicit: the block's start and end, each __syncthreads, each
// shuffle. A __syncthreads missing from a kernel then leaves its shared-memory accesses unordered, which
// ThreadSanitizer reports as a data race. Under AddressSanitizer every switch is announced, so it knows which
// stack is live.
//
// A kernel that faults (null or wild pointer) takes the process down, as it would take the context down on a
// GPU; a kernel that loops forever without reaching a barrier hangs the launch.
#include "emulator.h"

#include "cuda_cpu_device.h"

#include <pthread.h>
#include <sys/mman.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
// Exported by the ThreadSanitizer runtime (not in its public header): ignore this thread's accesses and syncs.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#if !defined(__x86_64__)
#error "the fiber switch of runtime.cpp is written for x86-64 (System V); port cg_fiber_switch first"
#endif

// Saves the callee-saved registers, the SSE control/status and x87 control words on the current stack, stores
// the stack pointer in *from and continues on the stack `to` (saved the same way). A new fiber's stack is laid
// out as if it had been saved, returning into cg_fiber_start with its argument in r12.
extern "C" void cg_fiber_switch(void** from, void* to);
extern "C" void cg_fiber_start();
asm(R"(
    .text
    .globl cg_fiber_switch
    .hidden cg_fiber_switch
    .type cg_fiber_switch, @function
cg_fiber_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size cg_fiber_switch, .-cg_fiber_switch

    .globl cg_fiber_start
    .hidden cg_fiber_start
    .type cg_fiber_start, @function
cg_fiber_start:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    call cg_fiber_main
    ud2
    .cfi_endproc
    .size cg_fiber_start, .-cg_fiber_start
)");

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

// The happens-before edges of the CUDA execution model, for ThreadSanitizer (nothing elsewhere).
inline void hb_release(const void* token)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_release(const_cast<void*>(token));
#else
    (void)token;
#endif
}
inline void hb_acquire(const void* token)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(const_cast<void*>(token));
#else
    (void)token;
#endif
}

// The "lock" around the block state. Every fiber runs on the multiprocessor thread, one at a time, so nothing
// needs locking; under ThreadSanitizer it hides the runtime's own accesses, so that they neither race nor order
// the kernel's accesses (which only hb_release/hb_acquire order).
struct BlockLock
{
    void lock()
    {
#if defined(__SANITIZE_THREAD__)
        __tsan_ignore_thread_begin();
#endif
    }
    void unlock()
    {
#if defined(__SANITIZE_THREAD__)
        __tsan_ignore_thread_end();
#endif
    }
};
using BlockGuard = std::unique_lock<BlockLock>;
constexpr unsigned kNone = ~0u;

enum class Wait
{
    none,
    barrier,
    shuffle
};

// One CUDA thread slot of the block: the fiber that runs thread index `tid`, and where it waits.
struct Slot
{
    void* sp = nullptr;              // the fiber's saved stack pointer while it is switched out
    unsigned char* stack = nullptr;  // its stack (above a guard page)
    void* asan_fake_stack = nullptr; // AddressSanitizer's fake stack of the fiber while switched out
    void* tsan_fiber = nullptr;      // ThreadSanitizer's thread of the fiber
    bool ready = false;              // in the run queue
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

// The emulated multiprocessor: one OS thread that runs one block at a time, each CUDA thread of the block a
// fiber (kept from block to block). Grids from any host thread are handed to it and run one at a time.
class Device
{
public:
    std::string run_grid(const Kernel& kernel, Dim3 grid, Dim3 block, void* const* args);
    void syncthreads(const char* file, int line);
    std::uint64_t shuffle(const char* file, int line, unsigned mask, std::uint64_t value, int lane_mask, int width);
    void fiber_main(unsigned tid);

private:
    struct Grid
    {
        const Kernel* kernel;
        Dim3 grid, block;
        void* const* args;
    };

    const std::vector<Span>& shared_spans(const Kernel& kernel);
    static void* multiprocessor_main(void* self);
    std::string run_blocks(const Grid& grid);
    void grow_pool(unsigned threads);
    void resume(unsigned tid);
    void yield(BlockGuard& lock, unsigned tid);
    void make_ready(unsigned tid);
    void enter(unsigned tid);
    void thread_exited(unsigned tid);
    [[noreturn]] void fail_and_unwind(const std::string& message);
    void fail(const std::string& message);
    std::string deadlock() const;
    std::string thread_name(unsigned tid) const;
    unsigned current_tid() const;

    std::mutex grid_mutex_; // one grid at a time, whichever host thread launches it
    // The hand-over of a grid to the multiprocessor thread, and of its result back.
    std::mutex handover_mutex_;
    std::condition_variable handover_;
    bool started_ = false;
    const Grid* request_ = nullptr;
    std::string result_;
    bool result_ready_ = false;

    // Used on the multiprocessor thread only (block state below is also guarded by mutex_).
    std::vector<std::pair<unsigned char*, std::vector<Span>>> spans_; // per module's section, found once
    void* scheduler_sp_ = nullptr;       // the multiprocessor's stack pointer while a fiber runs
    void* scheduler_tsan_ = nullptr;     // ThreadSanitizer's thread of the multiprocessor
    const void* scheduler_stack_ = nullptr; // its stack's bottom and size, for AddressSanitizer
    std::size_t scheduler_stack_size_ = 0;

    BlockLock mutex_; // taken around every look at what is below
    // hb_release/hb_acquire addresses: the block's start and end, and each __syncthreads and shuffle (by the
    // parity of its count: the next one of the same parity cannot complete before every thread left this one).
    char block_start_ = 0, block_end_ = 0;
    char barrier_tokens_[2] = {};
    char shuffle_tokens_[kMaxBlockThreads / 32][2] = {};
    std::uint64_t warp_shuffles_[kMaxBlockThreads / 32] = {};
    std::vector<std::unique_ptr<Slot>> slots_;
    std::vector<unsigned> run_queue_; // fibers ready to run, in order; run_head_ is the next
    std::size_t run_head_ = 0;
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

thread_local unsigned t_tid = kNone; // the CUDA thread the multiprocessor runs (while a fiber runs)

Device& device()
{
    static Device* instance = new Device; // never destroyed: the multiprocessor thread may still wait on it at exit
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

constexpr std::size_t kFiberStack = 256u << 10; // kernels keep a few small arrays; 1024 fibers × 256 KiB virtual
constexpr std::size_t kGuard = 4096;

void Device::grow_pool(unsigned threads)
{
    while (slots_.size() < threads)
    {
        auto slot = std::make_unique<Slot>();
        void* memory = mmap(nullptr, kGuard + kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (memory == MAP_FAILED || mprotect(memory, kGuard, PROT_NONE) != 0)
        {
            std::fprintf(stderr, "cuda-emulator: cannot map the stack of CUDA thread %zu of a block\n", slots_.size());
            std::abort();
        }
        slot->stack = static_cast<unsigned char*>(memory) + kGuard;
        // The saved frame cg_fiber_switch pops: MXCSR and x87 control word, r15, r14, r13, r12 (the fiber's
        // index, cg_fiber_start's argument), rbx, rbp (0: the end of frame-pointer walks), then the return
        // address, cg_fiber_start, which is entered with a 16-byte aligned stack as after a call's push.
        auto* top = reinterpret_cast<std::uint64_t*>(slot->stack + kFiberStack);
        std::uint64_t* frame = top - 8;
        std::uint32_t control[2];
        asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(control[0]), "=m"(control[1]));
        std::memcpy(&frame[0], control, sizeof control);
        frame[1] = 0;                          // r15
        frame[2] = 0;                          // r14
        frame[3] = 0;                          // r13
        frame[4] = slots_.size();              // r12: the CUDA thread index
        frame[5] = 0;                          // rbx
        frame[6] = 0;                          // rbp
        frame[7] = reinterpret_cast<std::uint64_t>(&cg_fiber_start);
        slot->sp = frame;
#if defined(__SANITIZE_THREAD__)
        slot->tsan_fiber = __tsan_create_fiber(0);
#endif
        std::lock_guard<BlockLock> lock(mutex_);
        slots_.push_back(std::move(slot));
    }
}

// Switches from the multiprocessor to fiber `tid` until it yields (waits, or has finished its thread of the block).
void Device::resume(unsigned tid)
{
    Slot& slot = *slots_[tid];
#if defined(__SANITIZE_ADDRESS__)
    void* fake_stack = nullptr;
    __sanitizer_start_switch_fiber(&fake_stack, slot.stack, kFiberStack);
#endif
#if defined(__SANITIZE_THREAD__)
    __tsan_switch_to_fiber(slot.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
    cg_fiber_switch(&scheduler_sp_, slot.sp);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

// Switches from fiber `tid` back to the multiprocessor; returns when the fiber is resumed, with `lock` held again.
void Device::yield(BlockGuard& lock, unsigned tid)
{
    Slot& slot = *slots_[tid];
    lock.unlock();
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(&slot.asan_fake_stack, scheduler_stack_, scheduler_stack_size_);
#endif
#if defined(__SANITIZE_THREAD__)
    __tsan_switch_to_fiber(scheduler_tsan_, __tsan_switch_to_fiber_no_sync);
#endif
    cg_fiber_switch(&slot.sp, scheduler_sp_);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(slot.asan_fake_stack, nullptr, nullptr);
#endif
    lock.lock();
    enter(tid);
}

// Puts a waiting fiber back in the run queue.
void Device::make_ready(unsigned tid)
{
    Slot& slot = *slots_[tid];
    if (!slot.ready)
    {
        slot.ready = true;
        run_queue_.push_back(tid);
    }
}

// Sets the built-in indices for fiber `tid`, which runs from here on (under mutex_: hidden from ThreadSanitizer,
// which would otherwise see every fiber write them unordered).
void Device::enter(unsigned tid)
{
    t_tid = tid;
    builtin_thread_idx = {tid % block_.x, tid / block_.x % block_.y, tid / (block_.x * block_.y)};
    builtin_block_idx = {block_idx_.x, block_idx_.y, block_idx_.z};
    builtin_block_dim = dim3(block_.x, block_.y, block_.z);
    builtin_grid_dim = dim3(grid_.x, grid_.y, grid_.z);
}

// Each fiber's life: run its thread of every block it is started on, then yield until the next one.
void Device::fiber_main(unsigned tid)
{
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(nullptr, &scheduler_stack_, &scheduler_stack_size_);
#endif
    BlockGuard lock(mutex_);
    enter(tid);
    for (;;)
    {
        const Kernel* kernel = kernel_;
        void* const* args = args_;
        lock.unlock();
        hb_acquire(&block_start_);
        try
        {
            kernel->thread_body(args);
        }
        catch (const BlockAborted&)
        {
        }
        hb_release(&block_end_);
        lock.lock();
        thread_exited(tid);
        ++finished_;
        yield(lock, tid);
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
            make_ready(t);
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
    const std::uint64_t generation = barriers_done_; // no fiber runs meanwhile
    hb_release(&barrier_tokens_[generation & 1]);
    BlockGuard lock(mutex_);
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
        for (unsigned t = 0; t < threads_; ++t)
            if (t != tid && !slots_[t]->exited)
                make_ready(t);
        lock.unlock();
        hb_acquire(&barrier_tokens_[generation & 1]);
        return;
    }
    if (++blocked_ == live_)
        fail_and_unwind(deadlock());
    while (barriers_done_ == generation && !failed_)
        yield(lock, tid);
    if (barriers_done_ == generation)
        throw BlockAborted{};
    lock.unlock();
    hb_acquire(&barrier_tokens_[generation & 1]);
}

std::uint64_t Device::shuffle(const char* file, int line, unsigned mask, std::uint64_t value, int lane_mask, int width)
{
    const unsigned tid = current_tid();
    // The lanes of a shuffle exchange values: an edge from each arrival to each departure. (Two groups of one warp
    // with disjoint masks share the warp's tokens, which can only hide a race, never report a false one.)
    const std::uint64_t generation = warp_shuffles_[tid / 32]; // no fiber runs meanwhile
    char* token = &shuffle_tokens_[tid / 32][generation & 1];
    hb_release(token);
    BlockGuard lock(mutex_);
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
        ++warp_shuffles_[warp / 32];
        for (unsigned l = 0; l < lanes; ++l)
            if ((members >> l & 1u) != 0 && warp + l != tid)
                make_ready(warp + l);
        const std::uint64_t result = slot.result;
        lock.unlock();
        hb_acquire(token);
        return result;
    }
    if (++blocked_ == live_)
        fail_and_unwind(deadlock());
    const std::uint64_t done = slot.shuffles_done;
    while (slot.shuffles_done == done && !failed_)
        yield(lock, tid);
    if (slot.shuffles_done == done)
        throw BlockAborted{};
    const std::uint64_t result = slot.result;
    lock.unlock();
    hb_acquire(token);
    return result;
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

    // The multiprocessor thread runs it (fibers stay on the OS thread that made them); this one waits.
    std::lock_guard<std::mutex> one_grid(grid_mutex_);
    const Grid request{&kernel, grid, block, args};
    std::unique_lock<std::mutex> lock(handover_mutex_);
    if (!started_)
    {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8u << 20);
        pthread_t thread;
        if (pthread_create(&thread, &attr, &Device::multiprocessor_main, this) != 0)
        {
            std::fprintf(stderr, "cuda-emulator: cannot start the multiprocessor thread\n");
            std::abort();
        }
        pthread_attr_destroy(&attr);
        pthread_detach(thread);
        started_ = true;
    }
    request_ = &request;
    result_ready_ = false;
    handover_.notify_all();
    handover_.wait(lock, [&] { return result_ready_; });
    return std::move(result_);
}

void* Device::multiprocessor_main(void* self)
{
    auto& device = *static_cast<Device*>(self);
#if defined(__SANITIZE_THREAD__)
    device.scheduler_tsan_ = __tsan_get_current_fiber();
#endif
    std::unique_lock<std::mutex> lock(device.handover_mutex_);
    for (;;)
    {
        device.handover_.wait(lock, [&] { return device.request_ != nullptr; });
        const Grid grid = *device.request_;
        device.request_ = nullptr;
        lock.unlock();
        std::string result = device.run_blocks(grid);
        lock.lock();
        device.result_ = std::move(result);
        device.result_ready_ = true;
        device.handover_.notify_all();
    }
}

// On the multiprocessor thread: every block of the grid in turn, each fiber run until it waits or finishes.
std::string Device::run_blocks(const Grid& request)
{
    auto dims = [](Dim3 d) { return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")"; };
    const Kernel& kernel = *request.kernel;
    const Dim3 grid = request.grid, block = request.block;
    const auto threads = static_cast<unsigned>(block.x * block.y * block.z);
    const std::vector<Span>& shared = shared_spans(kernel);
    grow_pool(threads);
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x)
            {
                // No fiber runs here; the poison is ordered before the block's accesses by its start edge.
                for (const Span& span : shared)
                    std::memset(span.begin, 0xff, span.size);
                hb_release(&block_start_);
                BlockGuard lock(mutex_);
                kernel_ = &kernel;
                args_ = request.args;
                grid_ = grid;
                block_ = block;
                block_idx_ = {x, y, z};
                threads_ = live_ = threads;
                finished_ = blocked_ = at_barrier_ = 0;
                first_exited_ = barrier_first_ = kNone;
                failed_ = false;
                error_.clear();
                run_queue_.clear();
                run_head_ = 0;
                for (unsigned t = 0; t < threads_; ++t)
                {
                    Slot& s = *slots_[t];
                    s.wait = Wait::none;
                    s.exited = false;
                    s.ready = false;
                    make_ready(t);
                }
                for (;;)
                {
                    while (run_head_ < run_queue_.size())
                    {
                        const unsigned tid = run_queue_[run_head_++];
                        slots_[tid]->ready = false;
                        if (slots_[tid]->exited)
                            continue; // readied by a failure while it ran to its end
                        lock.unlock();
                        resume(tid);
                        lock.lock();
                    }
                    if (finished_ == threads_)
                        break;
                    // Every fiber waits and none is ready: the last one to wait reports the deadlock, which readies
                    // the others to unwind, so this is only a guard against a fiber left suspended mid-kernel.
                    if (failed_)
                    {
                        std::fprintf(stderr, "cuda-emulator: internal error: %u of %u threads of a failed block did not unwind\n",
                                     threads_ - finished_, threads_);
                        std::abort();
                    }
                    fail(deadlock());
                }
                t_tid = kNone;
                for (auto& count : warp_shuffles_)
                    count = 0;
                lock.unlock();
                hb_acquire(&block_end_);
                lock.lock();
                if (failed_)
                    return std::string("kernel ") + kernel.name + " block " + dims(block_idx_) + ": " + error_;
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

extern "C" __attribute__((visibility("hidden"), used)) void cg_fiber_main(std::uint64_t tid)
{
    device().fiber_main(static_cast<unsigned>(tid));
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
