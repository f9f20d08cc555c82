// memory.cpp — the emulated device memory: every allocation (device memory from cuMemAlloc, page-locked host
// memory from cuMemAllocHost) is a host block with red zones before and after, an id and a short history.
// Device addresses are host addresses of the backing store (the CPU-compiled kernels dereference them).
// Freed blocks are filled with kFreedByte and quarantined (not returned to the system) until 256 MiB or 4096
// blocks have been freed after them, so a late use finds a recorded, freed block instead of someone else's.
#include "driver_state.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// ASan flavour: red zones and freed blocks are poisoned, so a kernel's (or anyone's) read or write there is an
// AddressSanitizer error with its stack (file:line of the kernel). The driver unpoisons around its own scans.
#define CG_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define CG_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define CG_POISON(p, n) ((void)(p), (void)(n))
#define CG_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace cg_emu
{
namespace
{
std::map<std::uintptr_t, Allocation*>& g_allocations = *new std::map<std::uintptr_t, Allocation*>(); // by base: live and quarantined (leaked: see driver.cpp)
std::deque<Allocation*>& g_quarantine = *new std::deque<Allocation*>();
std::size_t g_quarantine_bytes = 0;
std::size_t g_device_in_use = 0;
std::uint64_t g_next_id = 1;
constexpr std::size_t kQuarantineBytes = 256ull << 20;
constexpr std::size_t kQuarantineBlocks = 4096;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

void evict_quarantine()
{
    while (g_quarantine_bytes > kQuarantineBytes || g_quarantine.size() > kQuarantineBlocks)
    {
        Allocation* a = g_quarantine.front();
        g_quarantine.pop_front();
        g_quarantine_bytes -= a->size;
        g_allocations.erase(a->base);
        CG_UNPOISON(a->block, a->block_size);
        std::free(a->block);
        delete a;
    }
}

// The red-zone contents: the 32-bit word kRedWord at every 4-byte aligned address (bytes A5 5A 5A 3F: a float
// near 0.853, fp16 halves of ordinary magnitude), so that a kernel adding to or scaling a stray element changes the
// bytes, and common values (0, 1.0f, 0xFF…) differ from it in most bytes. A uniform
// byte such as 0xFD would read as a huge float (-4.2e37) that `y[i] += a * x[i]` leaves bit-identical.
constexpr std::uint32_t kRedWord = 0x3F5A5AA5u;
unsigned char red_byte(const unsigned char* at) { return (unsigned char)(kRedWord >> (8 * (reinterpret_cast<std::uintptr_t>(at) % 4))); }

void fill_red(unsigned char* p, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        p[i] = red_byte(p + i);
}

// Checks (and restores) `n` bytes at `p` that should all hold `byte` (0: the red-zone pattern); returns the first and
// last offsets that differ.
bool scan(unsigned char* p, std::size_t n, int byte, std::size_t& first, std::size_t& last)
{
    bool dirty = false;
    for (std::size_t i = 0; i < n; ++i)
    {
        unsigned char want = byte ? (unsigned char)byte : red_byte(p + i);
        if (p[i] != want)
        {
            if (!dirty)
                first = i;
            last = i;
            dirty = true;
            p[i] = want;
        }
    }
    return dirty;
}
} // namespace

void Allocation::note(const std::string& event)
{
    history.push_back(event);
    // keep the allocation and the last events
    while (history.size() > 6)
        history.erase(history.begin() + 1);
}

std::string Allocation::describe() const
{
    std::ostringstream o;
    o << "allocation #" << id << " (" << size << " bytes of " << (host ? "page-locked host" : "device") << " memory at 0x" << std::hex
      << base << std::dec << (live ? "" : ", FREED") << "; history: ";
    for (std::size_t i = 0; i < history.size(); ++i)
        o << (i ? "; " : "") << history[i];
    o << ")";
    return o.str();
}

std::uintptr_t allocate(std::size_t bytes, bool host, Result& status)
{
    if (bytes == 0)
    {
        status = kInvalidValue;
        return 0;
    }
    if (!host && (bytes > kTotalMemory - kReserved || g_device_in_use + bytes > kTotalMemory - kReserved))
    {
        status = kOutOfMemory;
        return 0;
    }
    std::size_t data = round_up(bytes, 256);
    std::size_t block_size = kRedZone + data + kRedZone;
    auto* block = static_cast<unsigned char*>(std::aligned_alloc(256, block_size));
    if (!block)
    {
        status = kOutOfMemory;
        return 0;
    }
    fill_red(block, kRedZone);
    fill_red(block + kRedZone + bytes, block_size - kRedZone - bytes);
    // Fresh device memory holds garbage on a GPU; make it a recognisable one (0xCD), never zeros by luck.
    std::memset(block + kRedZone, 0xCD, bytes);
    CG_POISON(block, kRedZone);
    CG_POISON(block + kRedZone + bytes, block_size - kRedZone - bytes);
    auto* a = new Allocation{g_next_id++, host, true, reinterpret_cast<std::uintptr_t>(block + kRedZone), bytes, block, block_size, {}};
    a->note(std::string(host ? "allocated by cuMemAllocHost" : "allocated by cuMemAlloc"));
    g_allocations[a->base] = a;
    if (!host)
        g_device_in_use += bytes;
    status = kSuccess;
    return a->base;
}

Result release(std::uintptr_t base, bool host, std::string& detail)
{
    auto it = g_allocations.find(base);
    if (it == g_allocations.end() || it->second->host != host)
    {
        Allocation* a = find_allocation(base);
        std::ostringstream o;
        o << (host ? "cuMemFreeHost" : "cuMemFree") << "(0x" << std::hex << base << std::dec << "): ";
        if (a)
            o << "not the start of an allocation of that kind: it lies inside " << a->describe();
        else
            o << "not an address the driver handed out";
        detail = o.str();
        return kInvalidValue;
    }
    Allocation* a = it->second;
    if (!a->live)
    {
        detail = std::string(host ? "cuMemFreeHost" : "cuMemFree") + ": freed twice: " + a->describe();
        return kInvalidValue;
    }
    a->live = false;
    a->note(host ? "freed by cuMemFreeHost" : "freed by cuMemFree");
    std::memset(reinterpret_cast<void*>(a->base), kFreedByte, a->size);
    CG_POISON(reinterpret_cast<void*>(a->base), a->size);
    if (!host)
        g_device_in_use -= a->size;
    g_quarantine.push_back(a);
    g_quarantine_bytes += a->size;
    evict_quarantine();
    return kSuccess;
}

std::size_t device_bytes_in_use() { return g_device_in_use; }

Allocation* find_allocation(std::uintptr_t address)
{
    auto it = g_allocations.upper_bound(address);
    if (it == g_allocations.begin())
        return nullptr;
    --it;
    Allocation* a = it->second;
    auto start = reinterpret_cast<std::uintptr_t>(a->block);
    if (address >= start && address < start + a->block_size)
        return a;
    // in the front red zone of the next one?
    auto next = g_allocations.upper_bound(address);
    if (next != g_allocations.end() && address >= reinterpret_cast<std::uintptr_t>(next->second->block))
        return next->second;
    return nullptr;
}

std::string check_range(std::uintptr_t address, std::size_t bytes, bool host, const char* what)
{
    std::ostringstream o;
    Allocation* a = find_allocation(address);
    o << what << " [0x" << std::hex << address << ", 0x" << address + bytes << std::dec << ") (" << bytes << " bytes) ";
    if (!a)
    {
        o << "is not inside any " << (host ? "page-locked host" : "device") << " allocation";
        return o.str();
    }
    if (a->host != host)
    {
        o << "lies in " << a->describe() << ", not in " << (host ? "page-locked host" : "device") << " memory";
        return o.str();
    }
    if (!a->live)
    {
        o << "uses freed memory: " << a->describe();
        return o.str();
    }
    if (address < a->base)
    {
        o << "starts " << a->base - address << " bytes before " << a->describe();
        return o.str();
    }
    if (address - a->base > a->size || bytes > a->size - (address - a->base))
    {
        o << "ends " << address + bytes - (a->base + a->size) << " bytes past the end of " << a->describe();
        return o.str();
    }
    return "";
}

std::string check_red_zones(const std::string& who)
{
    std::ostringstream o;
    std::size_t first = 0, last = 0;
    for (auto& [base, a] : g_allocations)
    {
        if (a->live)
        {
            CG_UNPOISON(a->block, kRedZone);
            CG_UNPOISON(reinterpret_cast<unsigned char*>(a->base + a->size), a->block_size - kRedZone - a->size);
            if (scan(a->block, kRedZone, 0, first, last))
            {
                o << (o.tellp() ? "; " : "") << who << " wrote before the start of " << a->describe() << " (up to " << kRedZone - first
                  << " bytes before it)";
                a->note("red zone before it overwritten by " + who);
            }
            std::size_t tail = a->block_size - kRedZone - a->size;
            if (scan(reinterpret_cast<unsigned char*>(a->base + a->size), tail, 0, first, last))
            {
                o << (o.tellp() ? "; " : "") << who << " wrote past the end of " << a->describe() << ": changed bytes at offsets "
                  << a->size + first << ".." << a->size + last << " (up to " << last + 1 << " bytes beyond its end)";
                a->note("red zone after it overwritten by " + who);
            }
            CG_POISON(a->block, kRedZone);
            CG_POISON(reinterpret_cast<unsigned char*>(a->base + a->size), a->block_size - kRedZone - a->size);
        }
    }
    // Recently freed blocks (the last 64): a write after free.
    std::size_t checked = 0;
    for (auto it = g_quarantine.rbegin(); it != g_quarantine.rend() && checked < 64; ++it, ++checked)
    {
        Allocation* a = *it;
        // its first and last 4 KiB (a whole scan of large blocks after every launch would cost too much)
        auto* p = reinterpret_cast<unsigned char*>(a->base);
        CG_UNPOISON(p, a->size);
        std::size_t head = std::min<std::size_t>(a->size, 4096), tail = std::min<std::size_t>(a->size - head, 4096);
        bool dirty = scan(p, head, kFreedByte, first, last);
        std::size_t f2 = 0, l2 = 0;
        if (scan(p + a->size - tail, tail, kFreedByte, f2, l2))
        {
            if (!dirty)
                first = a->size - tail + f2;
            last = a->size - tail + l2;
            dirty = true;
        }
        if (dirty)
        {
            o << (o.tellp() ? "; " : "") << who << " wrote to bytes [" << first << ", " << last + 1 << ") of " << a->describe()
              << " after it was freed";
            a->note("written after free by " + who);
        }
        CG_POISON(p, a->size);
    }
    return o.str();
}

void note_use(std::uintptr_t address, const std::string& event)
{
    if (Allocation* a = find_allocation(address))
        a->note(event);
}
} // namespace cg_emu
