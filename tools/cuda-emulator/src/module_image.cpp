// module_image.cpp — reads entry points and parameter layouts from PTX text and from CUBIN (ELF) images.
//
// PTX: the syntax is NVIDIA's PTX ISA ("Kernel Function Parameters", "Performance-Tuning Directives": .maxntid,
// .reqntid). Parameter offsets are not written in PTX: a kernel's parameters are laid out in order, each at
// the next multiple of its alignment (its type's size, or .align N for .b8 arrays) — the same rule as the
// CUDA C ABI the project's KernelArguments follows. The emulator does not assemble PTX; it checks that every
// statement of a function body is a directive, a label or an instruction whose opcode is a PTX opcode, so
// text that is not PTX fails like a JIT error (CUDA_ERROR_INVALID_PTX with a ptxas-style log).
//
// CUBIN: ELF64 with e_machine EM_CUDA (190). Entry points are the STT_FUNC symbols with STO_CUDA_ENTRY (0x10)
// in st_other. Parameter layouts come from the undocumented .nv.info.<kernel> section: records of
// {u8 format, u8 attribute, u16 value-or-size} followed, for format EIFMT_SVAL (4), by `size` bytes.
//   EIATTR_KPARAM_INFO (0x17), 12 bytes: u32 index, u16 ordinal, u16 offset, u32 flags (size = flags >> 18)
//   EIATTR_MAX_THREADS (0x05), 12 bytes: x, y, z (from .maxntid / __launch_bounds__)
// and from .nv.info (module-wide), 8-byte {u32 symbol index, u32 value} records:
//   EIATTR_REGCOUNT (0x2f), EIATTR_FRAME_SIZE (0x12).
// This reading is validated by tools/cuda-emulator/selftest: for every project kernel, the CUBIN-derived
// list equals the PTX-derived one from the same NVRTC.
#include "module_image.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <set>
#include <sstream>

namespace cg_emu
{
namespace
{
// ---------------------------------------------------------------------------------------------- PTX ----
const std::set<std::string>& ptx_opcodes()
{
    static const std::set<std::string> ops = {
        "abs", "activemask", "add", "addc", "alloca", "and", "applypriority", "atom", "bar", "barrier", "bfe", "bfi",
        "bfind", "bmsk", "bra", "brev", "brkpt", "brx", "call", "clz", "clusterlaunchcontrol", "cnot", "copysign",
        "cos", "cp", "createpolicy", "cvt", "cvta", "discard", "div", "dp2a", "dp4a", "elect", "ex2", "exit", "fence",
        "fma", "fns", "getctarank", "griddepcontrol", "isspacep", "istypeof", "ld", "ldmatrix", "ldu", "lg2", "lop3",
        "mad", "mad24", "madc", "mapa", "match", "max", "mbarrier", "membar", "min", "mma", "mov", "movmatrix", "mul",
        "mul24", "multimem", "nanosleep", "neg", "not", "or", "pmevent", "popc", "prefetch", "prefetchu", "prmt", "rcp",
        "red", "redux", "rem", "ret", "rsqrt", "sad", "selp", "set", "setmaxnreg", "setp", "shf", "shfl", "shl", "shr",
        "sin", "slct", "sqrt", "st", "stackrestore", "stacksave", "stmatrix", "sub", "subc", "suld", "suq", "sured",
        "sust", "szext", "tanh", "tensormap", "testp", "tex", "tld4", "trap", "txq", "vabsdiff", "vabsdiff2",
        "vabsdiff4", "vadd", "vadd2", "vadd4", "vavrg2", "vavrg4", "vmad", "vmax", "vmax2", "vmax4", "vmin", "vmin2",
        "vmin4", "vote", "vset", "vset2", "vset4", "vshl", "vshr", "vsub", "vsub2", "vsub4", "wgmma", "wmma", "xor",
        "tcgen05", "cp.async", "ex2"};
    return ops;
}

std::size_t ptx_type_size(const std::string& t)
{
    // .u8 .s8 .b8 / .u16 .s16 .b16 .f16 / .u32 .s32 .b32 .f32 .f16x2 .bf16x2 / .u64 .s64 .b64 .f64
    if (t == ".u8" || t == ".s8" || t == ".b8")
        return 1;
    if (t == ".u16" || t == ".s16" || t == ".b16" || t == ".f16" || t == ".bf16")
        return 2;
    if (t == ".u32" || t == ".s32" || t == ".b32" || t == ".f32" || t == ".f16x2" || t == ".bf16x2")
        return 4;
    if (t == ".u64" || t == ".s64" || t == ".b64" || t == ".f64")
        return 8;
    if (t == ".b128")
        return 16;
    return 0;
}

// Removes // and /* */ comments, keeping newlines (for line numbers) and string literals.
std::string strip_comments(const char* text)
{
    std::string out;
    for (const char* p = text; *p;)
    {
        if (p[0] == '/' && p[1] == '/')
        {
            while (*p && *p != '\n')
                ++p;
        }
        else if (p[0] == '/' && p[1] == '*')
        {
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/'))
            {
                if (*p == '\n')
                    out += '\n';
                ++p;
            }
            if (*p)
                p += 2;
        }
        else if (*p == '"')
        {
            out += *p++;
            while (*p && *p != '"' && *p != '\n')
                out += *p++;
            if (*p == '"')
                out += *p++;
        }
        else
            out += *p++;
    }
    return out;
}

struct PtxReader
{
    std::string s;
    std::size_t pos = 0;
    std::string error;
    int error_line = 0;

    int line_at(std::size_t at) const { return 1 + (int)std::count(s.begin(), s.begin() + (long)std::min(at, s.size()), '\n'); }
    void fail(std::size_t at, const std::string& message)
    {
        if (error.empty())
        {
            error = message;
            error_line = line_at(at);
        }
    }
    void skip_ws()
    {
        while (pos < s.size() && std::isspace((unsigned char)s[pos]))
            ++pos;
    }
    static bool ident_char(char c) { return std::isalnum((unsigned char)c) || c == '_' || c == '$' || c == '%' || c == '.'; }
    std::string token()
    {
        skip_ws();
        if (pos >= s.size())
            return "";
        std::size_t start = pos;
        if (ident_char(s[pos]))
        {
            ++pos;
            // a directive (.u64) is one token; an identifier stops at '.' only when it starts with '.'
            if (s[start] == '.')
                while (pos < s.size() && (std::isalnum((unsigned char)s[pos]) || s[pos] == '_'))
                    ++pos;
            else
                while (pos < s.size() && ident_char(s[pos]))
                    ++pos;
        }
        else
            ++pos;
        return s.substr(start, pos - start);
    }
    std::string peek()
    {
        std::size_t save = pos;
        std::string t = token();
        pos = save;
        return t;
    }
};

// Checks the statements of a function body between `open` (just after '{') and the matching '}'. Returns the
// position after the '}', or npos on error. Adds the bytes of .shared declarations to `shared`.
std::size_t check_body(PtxReader& r, std::size_t open, unsigned& shared)
{
    int depth = 1;
    std::size_t i = open;
    std::string stmt;
    std::size_t stmt_start = open;
    int operand_braces = 0;
    auto check_stmt = [&](std::string text, std::size_t at) {
        // leading labels
        for (;;)
        {
            std::size_t k = 0;
            while (k < text.size() && std::isspace((unsigned char)text[k]))
                ++k;
            std::size_t b = k;
            while (k < text.size() && (std::isalnum((unsigned char)text[k]) || text[k] == '_' || text[k] == '$' || text[k] == '%'))
                ++k;
            std::size_t c = k;
            while (c < text.size() && (text[c] == ' ' || text[c] == '\t'))
                ++c;
            if (k > b && c < text.size() && text[c] == ':')
                text = text.substr(c + 1);
            else
                break;
        }
        std::istringstream in(text);
        std::string op;
        if (!(in >> op))
            return;
        if (op[0] == '@')
        {
            if (op.size() == 1 || op == "@!")
                in >> op; // "@ %p1" or "@! %p"
            if (!(in >> op))
            {
                r.fail(at, "Syntax error: predicate without an instruction");
                return;
            }
        }
        if (op[0] == '.')
        {
            if (op == ".shared")
            {
                // .shared [.align N] .type name[count]...
                std::size_t elem = 0, count = 1;
                std::string t;
                while (in >> t)
                {
                    if (std::size_t z = ptx_type_size(t))
                        elem = z;
                    std::size_t lb = t.find('[');
                    if (lb != std::string::npos)
                        count = std::strtoull(t.c_str() + lb + 1, nullptr, 10);
                }
                shared += (unsigned)(elem * count);
            }
            return;
        }
        std::string base = op.substr(0, op.find('.'));
        if (!ptx_opcodes().count(base))
            r.fail(at, "Unknown symbol '" + base + "'");
    };
    for (; i < r.s.size(); ++i)
    {
        char c = r.s[i];
        if (c == '"')
        {
            stmt += c;
            for (++i; i < r.s.size() && r.s[i] != '"'; ++i)
                stmt += r.s[i];
            stmt += '"';
            continue;
        }
        // '{' inside an instruction opens a vector operand ({%f1, %f2}); its '}' belongs to it too.
        bool in_instruction = stmt.find_first_not_of(" \t\r\n") != std::string::npos &&
                              stmt.find_last_not_of(" \t\r\n") != stmt.rfind(':');
        if (c == '{' && in_instruction)
        {
            ++operand_braces;
            stmt += c;
            continue;
        }
        if (c == '}' && operand_braces > 0)
        {
            --operand_braces;
            stmt += c;
            continue;
        }
        if (c == '{' || c == '}' || c == ';')
        {
            if (c != ';' && stmt.find_first_not_of(" \t\r\n") != std::string::npos && stmt.find(':') == std::string::npos)
            {
                r.fail(stmt_start, "Syntax error: statement not terminated by ';'");
                return std::string::npos;
            }
            check_stmt(stmt, stmt_start);
            stmt.clear();
            stmt_start = i + 1;
            if (c == '{')
                ++depth;
            if (c == '}' && --depth == 0)
                return r.error.empty() ? i + 1 : std::string::npos;
            continue;
        }
        if (stmt.empty() && std::isspace((unsigned char)c))
        {
            stmt_start = i + 1;
            continue;
        }
        stmt += c;
    }
    r.fail(open, "Syntax error: unterminated function body");
    return std::string::npos;
}

ImageStatus parse_ptx(const char* text, ModuleImage& out, std::string& log)
{
    PtxReader r;
    r.s = strip_comments(text);
    bool version = false, target = false;
    auto finish_error = [&]() {
        std::ostringstream o;
        o << "ptxas application ptx input, line " << r.error_line << "; error   : " << r.error << "\n"
          << "ptxas fatal   : Ptx assembly aborted due to errors";
        log = o.str();
        return ImageStatus::invalid_ptx;
    };
    while (r.error.empty())
    {
        std::size_t at = (r.skip_ws(), r.pos);
        std::string t = r.token();
        if (t.empty())
            break;
        if (t == ".version")
        {
            version = true;
            r.token();
            continue;
        }
        if (t == ".target")
        {
            target = true;
            std::string arch = r.token();
            std::size_t u = arch.find('_');
            if (u != std::string::npos)
                out.arch = std::atoi(arch.c_str() + u + 1);
            while (r.peek() == ",")
            {
                r.token();
                r.token();
            }
            continue;
        }
        if (t == ".address_size")
        {
            r.token();
            continue;
        }
        if (t == ".visible" || t == ".weak" || t == ".extern")
            continue; // linkage, the declaration follows
        if (t == ".file" || t == ".section" || t == ".loc" || t == ".pragma")
        {
            // skip to the end of the line or statement
            while (r.pos < r.s.size() && r.s[r.pos] != '\n' && r.s[r.pos] != ';')
                ++r.pos;
            continue;
        }
        if (t == ".global" || t == ".const" || t == ".shared" || t == ".local" || t == ".tex" || t == ".surf")
        {
            // a module-scope variable: up to its ';' (initializers may hold braces)
            int depth = 0;
            while (r.pos < r.s.size() && !(r.s[r.pos] == ';' && depth == 0))
            {
                depth += r.s[r.pos] == '{' ? 1 : r.s[r.pos] == '}' ? -1 : 0;
                ++r.pos;
            }
            ++r.pos;
            continue;
        }
        if (t == ".entry" || t == ".func")
        {
            bool entry = t == ".entry";
            if (!entry && r.peek() == "(") // .func (.reg .b32 ret) name(...)
            {
                while (r.pos < r.s.size() && r.s[r.pos] != ')')
                    ++r.pos;
                ++r.pos;
            }
            std::string name = r.token();
            if (name.empty() || !(std::isalpha((unsigned char)name[0]) || name[0] == '_' || name[0] == '$'))
            {
                r.fail(at, "Syntax error: expected a function name after " + t);
                break;
            }
            ImageEntry e;
            e.name = name;
            if (r.peek() == "(")
            {
                r.token();
                std::size_t offset = 0;
                while (r.error.empty())
                {
                    std::string p = r.token();
                    if (p == ")")
                        break;
                    if (p == ",")
                        continue;
                    if (p != ".param" && p != ".reg")
                    {
                        r.fail(r.pos, "Syntax error: unexpected '" + p + "' in the parameter list of " + name);
                        break;
                    }
                    std::size_t size = 0, align = 0, count = 1;
                    for (;;)
                    {
                        std::string q = r.peek();
                        if (q == "," || q == ")" || q.empty())
                            break;
                        r.token();
                        if (q == ".align")
                            align = std::strtoull(r.token().c_str(), nullptr, 10);
                        else if (std::size_t z = ptx_type_size(q))
                            size = z;
                        else if (q == "[")
                        {
                            count = std::strtoull(r.token().c_str(), nullptr, 10);
                            r.token(); // ]
                        }
                        // .ptr .global .const .local .shared: attributes of pointer params; the name
                    }
                    if (size == 0)
                    {
                        r.fail(r.pos, "Syntax error: a parameter of " + name + " without a type");
                        break;
                    }
                    if (align == 0)
                        align = size;
                    std::size_t bytes = size * count;
                    offset = (offset + align - 1) / align * align;
                    e.params.push_back({offset, bytes, align});
                    offset += bytes;
                }
            }
            // performance-tuning directives, then the body (or ';' for a declaration)
            while (r.error.empty())
            {
                std::string d = r.peek();
                if (d == ".maxntid" || d == ".reqntid")
                {
                    r.token();
                    unsigned product = 1;
                    for (;;)
                    {
                        product *= (unsigned)std::strtoul(r.token().c_str(), nullptr, 10);
                        if (r.peek() != ",")
                            break;
                        r.token();
                    }
                    e.max_threads = product;
                }
                else if (d == ".minnctapersm" || d == ".maxnreg" || d == ".maxnctapersm" || d == ".maxclusterrank" ||
                         d == ".explicitcluster")
                {
                    r.token();
                    if (d != ".explicitcluster")
                        r.token();
                }
                else if (d == ".reqnctapercluster")
                {
                    r.token();
                    for (;;)
                    {
                        r.token();
                        if (r.peek() != ",")
                            break;
                        r.token();
                    }
                }
                else if (d == ".noreturn" || d == ".pragma")
                {
                    r.token();
                    if (d == ".pragma")
                    {
                        while (r.pos < r.s.size() && r.s[r.pos] != ';')
                            ++r.pos;
                        ++r.pos;
                    }
                }
                else
                    break;
            }
            std::string b = r.token();
            if (b == ";")
                continue;
            if (b != "{")
            {
                r.fail(r.pos, "Syntax error: expected '{' after the declaration of " + name);
                break;
            }
            std::size_t end = check_body(r, r.pos, e.static_shared);
            if (end == std::string::npos)
                break;
            r.pos = end;
            if (entry)
                out.entries.push_back(e);
            continue;
        }
        r.fail(at, "Unknown symbol '" + t + "'");
    }
    if (!r.error.empty())
        return finish_error();
    if (!version || !target)
    {
        r.fail(0, !version ? "Missing .version directive at start of file" : "Missing .target directive");
        return finish_error();
    }
    return ImageStatus::ok;
}

// --------------------------------------------------------------------------------------------- CUBIN ---
template <typename T> bool read_at(const unsigned char* base, std::size_t size, std::size_t at, T& v)
{
    if (at > size || sizeof(T) > size - at)
        return false;
    std::memcpy(&v, base + at, sizeof(T));
    return true;
}

ImageStatus parse_cubin(const unsigned char* d, ModuleImage& out, std::string& log)
{
    // The ELF header gives the section table; its end bounds what we may read.
    std::uint64_t shoff = 0;
    std::uint16_t shentsize = 0, shnum = 0, shstrndx = 0, machine = 0;
    std::uint32_t flags = 0;
    const std::size_t header = 64;
    read_at(d, header, 0x12, machine);
    read_at(d, header, 0x28, shoff);
    read_at(d, header, 0x30, flags);
    read_at(d, header, 0x3a, shentsize);
    read_at(d, header, 0x3c, shnum);
    read_at(d, header, 0x3e, shstrndx);
    if (d[4] != 2 || d[5] != 1 || machine != 190 || shentsize != 64 || shnum == 0 || shstrndx >= shnum || shoff > (1u << 30))
    {
        log = "not a 64-bit little-endian CUDA ELF (e_machine 190)";
        return ImageStatus::invalid_image;
    }
    struct Section
    {
        std::uint32_t name, type;
        std::uint64_t offset, size;
        std::uint32_t link, info;
        std::string text;
    };
    std::vector<Section> sections(shnum);
    std::size_t limit = shoff + (std::size_t)shnum * shentsize;
    for (unsigned i = 0; i < shnum; ++i)
    {
        const unsigned char* sh = d + shoff + (std::size_t)i * shentsize;
        Section& s = sections[i];
        std::memcpy(&s.name, sh, 4);
        std::memcpy(&s.type, sh + 4, 4);
        std::memcpy(&s.offset, sh + 24, 8);
        std::memcpy(&s.size, sh + 32, 8);
        std::memcpy(&s.link, sh + 40, 4);
        std::memcpy(&s.info, sh + 44, 4);
        if (s.type != 8 /* SHT_NOBITS */ && (s.offset > (1u << 30) || s.size > (1u << 30)))
        {
            log = "malformed ELF section table";
            return ImageStatus::invalid_image;
        }
        if (s.type != 8)
            limit = std::max<std::size_t>(limit, s.offset + s.size);
    }
    const Section& names = sections[shstrndx];
    for (auto& s : sections)
    {
        std::size_t at = names.offset + s.name;
        if (s.name < names.size)
            s.text = std::string((const char*)d + at, strnlen((const char*)d + at, names.size - s.name));
    }
    out.is_cubin = true;
    out.arch = (int)(flags & 0xff);
    const Section* symtab = nullptr;
    for (auto& s : sections)
        if (s.type == 2 /* SHT_SYMTAB */)
            symtab = &s;
    if (!symtab || symtab->link >= shnum)
    {
        log = "CUBIN without a symbol table";
        return ImageStatus::invalid_image;
    }
    const Section& strtab = sections[symtab->link];
    std::vector<std::string> symbol_names(symtab->size / 24);
    std::vector<int> entry_of_symbol(symbol_names.size(), -1);
    for (std::size_t i = 0; i < symbol_names.size(); ++i)
    {
        const unsigned char* sym = d + symtab->offset + i * 24;
        std::uint32_t name;
        std::memcpy(&name, sym, 4);
        unsigned char info = sym[4], other = sym[5];
        if (name < strtab.size)
            symbol_names[i] = std::string((const char*)d + strtab.offset + name, strnlen((const char*)d + strtab.offset + name, strtab.size - name));
        if ((info & 0xf) == 2 /* STT_FUNC */ && (other & 0x10) /* STO_CUDA_ENTRY */)
        {
            entry_of_symbol[i] = (int)out.entries.size();
            ImageEntry e;
            e.name = symbol_names[i];
            out.entries.push_back(e);
        }
    }
    auto records = [&](const Section& s, auto&& visit) {
        std::size_t i = 0;
        while (i + 4 <= s.size)
        {
            const unsigned char* r = d + s.offset + i;
            unsigned fmt = r[0], attr = r[1];
            std::uint16_t value;
            std::memcpy(&value, r + 2, 2);
            i += 4;
            if (fmt == 4 /* EIFMT_SVAL */)
            {
                if (i + value > s.size)
                    break;
                visit(attr, d + s.offset + i, (std::size_t)value);
                i += value;
            }
            else
                visit(attr, nullptr, (std::size_t)value);
        }
    };
    for (auto& s : sections)
    {
        if (s.text == ".nv.info")
        {
            records(s, [&](unsigned attr, const unsigned char* data, std::size_t size) {
                if (!data || size != 8)
                    return;
                std::uint32_t sym, value;
                std::memcpy(&sym, data, 4);
                std::memcpy(&value, data + 4, 4);
                if (sym >= entry_of_symbol.size() || entry_of_symbol[sym] < 0)
                    return;
                ImageEntry& e = out.entries[(std::size_t)entry_of_symbol[sym]];
                if (attr == 0x2f)
                    e.registers = value; // EIATTR_REGCOUNT
                else if (attr == 0x12)
                    e.local_bytes = value; // EIATTR_FRAME_SIZE
            });
        }
        else if (s.text.rfind(".nv.info.", 0) == 0 || s.text.rfind(".nv.shared.", 0) == 0)
        {
            bool info = s.text[4] == 'i';
            std::string kernel = s.text.substr(info ? 9 : 11);
            ImageEntry* e = nullptr;
            for (auto& x : out.entries)
                if (x.name == kernel)
                    e = &x;
            if (!e)
                continue;
            if (!info)
            {
                // sm_80 and newer reserve 1 KiB of shared memory per block for the system, counted in this
                // section; cuFuncGetAttribute reports the kernel's own bytes.
                e->static_shared = (unsigned)(out.arch >= 80 && s.size >= 1024 ? s.size - 1024 : s.size);
                continue;
            }
            std::vector<std::pair<unsigned, ImageParam>> params;
            records(s, [&](unsigned attr, const unsigned char* data, std::size_t size) {
                if (attr == 0x17 && data && size >= 12) // EIATTR_KPARAM_INFO
                {
                    std::uint16_t ordinal, offset;
                    std::uint32_t f;
                    std::memcpy(&ordinal, data + 4, 2);
                    std::memcpy(&offset, data + 6, 2);
                    std::memcpy(&f, data + 8, 4);
                    params.push_back({ordinal, ImageParam{offset, (std::size_t)(f >> 18) & 0x3fff, 0}});
                }
                else if (attr == 0x05 && data && size >= 12) // EIATTR_MAX_THREADS
                {
                    std::uint32_t x, y, z;
                    std::memcpy(&x, data, 4);
                    std::memcpy(&y, data + 4, 4);
                    std::memcpy(&z, data + 8, 4);
                    e->max_threads = x * y * z;
                }
            });
            std::sort(params.begin(), params.end(), [](auto& a, auto& b) { return a.first < b.first; });
            for (std::size_t k = 0; k < params.size(); ++k)
            {
                if (params[k].first != k)
                {
                    log = "CUBIN: kernel " + kernel + ": parameter ordinals are not 0..n-1";
                    return ImageStatus::invalid_image;
                }
                e->params.push_back(params[k].second);
            }
        }
    }
    (void)limit;
    return ImageStatus::ok;
}
} // namespace

ImageStatus parse_module_image(const void* data, ModuleImage& out, std::string& log)
{
    const unsigned char* d = static_cast<const unsigned char*>(data);
    if (!d)
    {
        log = "null image";
        return ImageStatus::invalid_image;
    }
    if (d[0] == 0x7f && d[1] == 'E' && d[2] == 'L' && d[3] == 'F')
        return parse_cubin(d, out, log);
    std::uint32_t magic;
    std::memcpy(&magic, d, 4);
    if (magic == 0xBA55ED50u)
    {
        log = "fatbin images are not supported by the emulated driver (load the CUBIN or the PTX)";
        return ImageStatus::fatbin;
    }
    return parse_ptx(static_cast<const char*>(data), out, log);
}
} // namespace cg_emu
