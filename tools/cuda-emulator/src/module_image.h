// module_image.h — what the emulated driver reads from a module image (cuModuleLoadData): the entry points and,
// for each, its parameter layout in parameter space, from PTX text or from a CUBIN (ELF) made by NVRTC/ptxas.
// No dependency on the CPU-compiled kernels: the native selftest (selftest.cpp) uses it alone.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cg_emu
{
struct ImageParam
{
    std::size_t offset; // in parameter space (the constant bank's parameter area for a CUBIN)
    std::size_t size;   // bytes
    std::size_t align;  // PTX: from the type or .align; CUBIN: not recorded there, 0
};

struct ImageEntry
{
    std::string name;
    std::vector<ImageParam> params;
    unsigned max_threads = 0;       // .maxntid / EIATTR_MAX_THREADS product, 0 when not given
    unsigned registers = 0;         // CUBIN: EIATTR_REGCOUNT; PTX: 0 (unknown until a real JIT)
    unsigned static_shared = 0;     // bytes of __shared__ declared by the kernel
    unsigned local_bytes = 0;       // CUBIN: EIATTR_FRAME_SIZE
};

struct ModuleImage
{
    bool is_cubin = false;
    int arch = 0; // sm_XX / compute_XX as XX
    std::vector<ImageEntry> entries;
    const ImageEntry* find(const std::string& name) const
    {
        for (auto& e : entries)
            if (e.name == name)
                return &e;
        return nullptr;
    }
};

enum class ImageStatus
{
    ok,
    invalid_image, // neither ELF nor text, or a malformed ELF
    invalid_ptx,   // PTX that does not parse (log says where)
    fatbin,        // a fatbin: not supported by the emulator
};

// Parses the image at `data` (PTX: NUL-terminated; ELF: its own length). `log` receives a JIT-style error log.
ImageStatus parse_module_image(const void* data, ModuleImage& out, std::string& log);
} // namespace cg_emu
