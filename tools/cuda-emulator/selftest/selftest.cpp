// selftest.cpp — checks the emulated driver's reading of module images against NVRTC (no GPU needed).
// For every kernel file given, assembled as KernelSources.Combine assembles it (precision.cuh, then the file,
// with #line directives), NVRTC compiles PTX for compute_90 and a CUBIN for sm_90 with the project's options
// (-arch, --std=c++17); the parameter lists read from the CUBIN's .nv.info sections (undocumented
// EIATTR_KPARAM_INFO) must equal those read from the PTX's .entry declarations, entry by entry, and both
// must hold the same entries. Also checks that text that is not PTX is refused with a log.
// Usage: selftest <precision.cuh> <file.cu>...   (run by tools/cuda-emulator/selftest.sh)
#include "module_image.h"

#include <dlfcn.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace cg_emu;

namespace
{
struct Nvrtc
{
    void* lib = nullptr;
    int (*create)(void**, const char*, const char*, int, const char* const*, const char* const*) = nullptr;
    int (*compile)(void*, int, const char* const*) = nullptr;
    int (*destroy)(void**) = nullptr;
    int (*log_size)(void*, size_t*) = nullptr;
    int (*log)(void*, char*) = nullptr;
    int (*ptx_size)(void*, size_t*) = nullptr;
    int (*ptx)(void*, char*) = nullptr;
    int (*cubin_size)(void*, size_t*) = nullptr;
    int (*cubin)(void*, char*) = nullptr;

    bool load()
    {
        for (const char* name : {"libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2"})
            if ((lib = dlopen(name, RTLD_NOW)))
                break;
        if (!lib)
            return false;
#define CG_SYM(field, name) field = reinterpret_cast<decltype(field)>(dlsym(lib, name))
        CG_SYM(create, "nvrtcCreateProgram");
        CG_SYM(compile, "nvrtcCompileProgram");
        CG_SYM(destroy, "nvrtcDestroyProgram");
        CG_SYM(log_size, "nvrtcGetProgramLogSize");
        CG_SYM(log, "nvrtcGetProgramLog");
        CG_SYM(ptx_size, "nvrtcGetPTXSize");
        CG_SYM(ptx, "nvrtcGetPTX");
        CG_SYM(cubin_size, "nvrtcGetCUBINSize");
        CG_SYM(cubin, "nvrtcGetCUBIN");
#undef CG_SYM
        return create && compile && destroy && ptx && cubin;
    }

    std::vector<char> build(const std::string& source, const std::string& name, const char* arch, bool binary, std::string& error)
    {
        void* program = nullptr;
        create(&program, source.c_str(), name.c_str(), 0, nullptr, nullptr);
        const char* options[] = {arch, "--std=c++17"};
        int rc = compile(program, 2, options);
        std::vector<char> out;
        if (rc != 0)
        {
            size_t n = 0;
            log_size(program, &n);
            error.assign(n, '\0');
            log(program, error.data());
        }
        else
        {
            size_t n = 0;
            (binary ? cubin_size : ptx_size)(program, &n);
            out.resize(n);
            (binary ? cubin : ptx)(program, out.data());
        }
        destroy(&program);
        return out;
    }
};

std::string read(const char* path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string describe(const ImageEntry& e)
{
    std::ostringstream o;
    o << e.name << "(";
    for (size_t i = 0; i < e.params.size(); ++i)
        o << (i ? ", " : "") << "@" << e.params[i].offset << ":" << e.params[i].size;
    o << ") maxntid " << e.max_threads;
    return o.str();
}
} // namespace

int main(int argc, char** argv)
{
    if (argc < 3)
    {
        std::fprintf(stderr, "usage: selftest <precision.cuh> <file.cu>...\n");
        return 2;
    }
    int failures = 0, entries = 0;
    {
        ModuleImage image;
        std::string log;
        const char* bad = ".version 7.0\n.target sm_75\n.address_size 64\n.visible .entry broken() { this is not ptx; }\n";
        if (parse_module_image(bad, image, log) != ImageStatus::invalid_ptx || log.find("line 4") == std::string::npos)
        {
            std::printf("FAIL: text that is not PTX was not refused with a log (log: %s)\n", log.c_str());
            ++failures;
        }
    }
    Nvrtc nvrtc;
    if (!nvrtc.load())
    {
        std::printf("FAIL: NVRTC could not be loaded (%s)\n", dlerror());
        return 1;
    }
    std::string precision = read(argv[1]);
    for (int a = 2; a < argc; ++a)
    {
        std::string path = argv[a], file = path.substr(path.find_last_of('/') + 1);
        std::string source = "#line 1 \"precision.cuh\"\n" + precision + "\n#line 1 \"" + file + "\"\n" + read(argv[a]);
        std::string error;
        std::vector<char> ptx = nvrtc.build(source, file, "-arch=compute_90", false, error);
        std::vector<char> cubin = nvrtc.build(source, file, "-arch=sm_90", true, error);
        if (ptx.empty() || cubin.empty())
        {
            std::printf("FAIL: %s did not compile: %s\n", file.c_str(), error.c_str());
            ++failures;
            continue;
        }
        ptx.push_back('\0');
        ModuleImage from_ptx, from_cubin;
        std::string log;
        if (parse_module_image(ptx.data(), from_ptx, log) != ImageStatus::ok)
        {
            std::printf("FAIL: %s: PTX refused: %s\n", file.c_str(), log.c_str());
            ++failures;
            continue;
        }
        if (parse_module_image(cubin.data(), from_cubin, log) != ImageStatus::ok)
        {
            std::printf("FAIL: %s: CUBIN refused: %s\n", file.c_str(), log.c_str());
            ++failures;
            continue;
        }
        if (from_ptx.entries.size() != from_cubin.entries.size())
        {
            std::printf("FAIL: %s: %zu entries in the PTX, %zu in the CUBIN\n", file.c_str(), from_ptx.entries.size(), from_cubin.entries.size());
            ++failures;
        }
        for (auto& e : from_ptx.entries)
        {
            ++entries;
            const ImageEntry* c = from_cubin.find(e.name);
            bool same = c && c->params.size() == e.params.size() && c->max_threads == e.max_threads;
            for (size_t i = 0; same && i < e.params.size(); ++i)
                same = c->params[i].offset == e.params[i].offset && c->params[i].size == e.params[i].size;
            if (!same)
            {
                std::printf("FAIL: %s: PTX %s vs CUBIN %s\n", file.c_str(), describe(e).c_str(), c ? describe(*c).c_str() : "(missing)");
                ++failures;
            }
        }
        std::printf("%s: %zu entries, CUBIN and PTX parameter lists %s\n", file.c_str(), from_ptx.entries.size(), failures ? "checked" : "equal");
    }
    std::printf("%s: %d entry points compared, %d failures\n", failures ? "FAILED" : "OK", entries, failures);
    return failures ? 1 : 0;
}
