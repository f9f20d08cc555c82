// cublasLt.cpp — the emulated cuBLASLt (libcublasLt.so.12): the entry points the project calls
// (src/CudaGenre.Cuda/Blas/CublasLtApi.cs), with the semantics of NVIDIA's cuBLASLt documentation (cuBLAS 12.x,
// "Using the cuBLASLt API"): created handles, descriptors that hold exactly what their setters were given
// (attribute sizes checked), layouts with order / ld / batch / strided batch offset, a deterministic heuristic,
// and cublasLtMatmul checked against the driver (every device range exact) and queued on the caller's stream.
// The rules and the page each rests on: tools/cuda-emulator/README.md, "Emulated cuBLASLt and cuBLAS".
#include "blas_core.h"

#include <cstdio>
#include <mutex>
#include <set>

#define LT_API extern "C" __attribute__((visibility("default")))

using namespace cg_blas;

namespace
{
std::mutex& g_mutex = *new std::mutex(); // leaked on purpose: entry points may run during exit
std::set<void*>& g_handles = *new std::set<void*>();
std::set<void*>& g_descs = *new std::set<void*>();
std::set<void*>& g_layouts = *new std::set<void*>();
std::set<void*>& g_prefs = *new std::set<void*>();
unsigned long long g_calls = 0;
int fail(int status, const std::string& detail) { return record_failure("cuBLASLt", status, detail); }

struct Handle
{
    int magic = 0x4c54;
};

// cublasLtMatmulDescAttributes_t: every attribute's value, as given (defaults as the header documents them).
struct Desc
{
    std::int32_t compute = 0, scale = 0, pointer_mode = 0, transa = 0, transb = 0, transc = 0, fill = 2;
    std::uint32_t epilogue = 1;
    std::uint64_t bias = 0;
    std::int64_t bias_stride = 0;
    std::uint64_t aux = 0;
    std::int64_t aux_ld = 0, aux_stride = 0, alpha_vector_stride = 0;
    std::int32_t sm_count = 0;
    std::uint64_t a_scale = 0, b_scale = 0, c_scale = 0, d_scale = 0, amax_d = 0;
    std::int32_t aux_type = -1;
    std::uint64_t aux_scale = 0, aux_amax = 0;
    std::int8_t fast_accum = 0;
    std::int32_t bias_type = -1;
    std::int32_t chunks_rows = 0, chunks_cols = 0;
    std::uint64_t in_counters = 0, out_counters = 0;
};

struct Layout
{
    std::uint32_t type = 0;
    std::int32_t order = 0;
    std::uint64_t rows = 0, cols = 0;
    std::int64_t ld = 0;
    std::int32_t batch = 1;
    std::int64_t stride = 0;
    std::int64_t plane_offset = 0;
};

struct Pref
{
    std::uint32_t search_mode = 0;
    std::uint64_t max_workspace = 0;
    std::uint32_t reduction_mask = 0xff;
    std::uint32_t align_a = 256, align_b = 256, align_c = 256, align_d = 256;
    float max_waves = 0;
    std::uint64_t impl_mask = ~0ull;
};

// One attribute: where it lives and its exact size (the setter refuses any other size).
struct Field
{
    void* where;
    std::size_t size;
};

bool desc_field(Desc& d, int attr, Field& f)
{
    switch (attr)
    {
    case 0: f = {&d.compute, 4}; return true;
    case 1: f = {&d.scale, 4}; return true;
    case 2: f = {&d.pointer_mode, 4}; return true;
    case 3: f = {&d.transa, 4}; return true;
    case 4: f = {&d.transb, 4}; return true;
    case 5: f = {&d.transc, 4}; return true;
    case 6: f = {&d.fill, 4}; return true;
    case 7: f = {&d.epilogue, 4}; return true;
    case 8: f = {&d.bias, 8}; return true;
    case 10: f = {&d.bias_stride, 8}; return true;
    case 11: f = {&d.aux, 8}; return true;
    case 12: f = {&d.aux_ld, 8}; return true;
    case 13: f = {&d.aux_stride, 8}; return true;
    case 14: f = {&d.alpha_vector_stride, 8}; return true;
    case 15: f = {&d.sm_count, 4}; return true;
    case 17: f = {&d.a_scale, 8}; return true;
    case 18: f = {&d.b_scale, 8}; return true;
    case 19: f = {&d.c_scale, 8}; return true;
    case 20: f = {&d.d_scale, 8}; return true;
    case 21: f = {&d.amax_d, 8}; return true;
    case 22: f = {&d.aux_type, 4}; return true;
    case 23: f = {&d.aux_scale, 8}; return true;
    case 24: f = {&d.aux_amax, 8}; return true;
    case 25: f = {&d.fast_accum, 1}; return true;
    case 26: f = {&d.bias_type, 4}; return true;
    case 27: f = {&d.chunks_rows, 4}; return true;
    case 28: f = {&d.chunks_cols, 4}; return true;
    case 29: f = {&d.in_counters, 8}; return true;
    case 30: f = {&d.out_counters, 8}; return true;
    default: return false;
    }
}

bool layout_field(Layout& l, int attr, Field& f)
{
    switch (attr)
    {
    case 0: f = {&l.type, 4}; return true;
    case 1: f = {&l.order, 4}; return true;
    case 2: f = {&l.rows, 8}; return true;
    case 3: f = {&l.cols, 8}; return true;
    case 4: f = {&l.ld, 8}; return true;
    case 5: f = {&l.batch, 4}; return true;
    case 6: f = {&l.stride, 8}; return true;
    case 7: f = {&l.plane_offset, 8}; return true;
    default: return false;
    }
}

bool pref_field(Pref& p, int attr, Field& f)
{
    switch (attr)
    {
    case 0: f = {&p.search_mode, 4}; return true;
    case 1: f = {&p.max_workspace, 8}; return true;
    case 3: f = {&p.reduction_mask, 4}; return true;
    case 5: f = {&p.align_a, 4}; return true;
    case 6: f = {&p.align_b, 4}; return true;
    case 7: f = {&p.align_c, 4}; return true;
    case 8: f = {&p.align_d, 4}; return true;
    case 9: f = {&p.max_waves, 4}; return true;
    case 12: f = {&p.impl_mask, 8}; return true;
    default: return false;
    }
}

int set_attribute(const char* call, bool known, bool found, const Field& f, int attr, const void* buf, std::size_t size)
{
    if (!known)
        return fail(kInvalidValue, std::string(call) + ": not a live descriptor");
    if (!found)
        return fail(kInvalidValue, std::string(call) + ": unknown attribute " + std::to_string(attr));
    if (!buf)
        return fail(kInvalidValue, std::string(call) + ": buf is NULL");
    if (size != f.size)
        return fail(kInvalidValue, std::string(call) + ": attribute " + std::to_string(attr) + " takes " + std::to_string(f.size) + " bytes, " +
                                       std::to_string(size) + " were given");
    std::memcpy(f.where, buf, size);
    return kSuccess;
}

// ---- the emulated algorithms ----------------------------------------------------------------------------
// Algorithm 0 ("split-K", the heuristic's first choice when allowed): keeps FP32 partial results in the
// workspace (4 bytes per element of D, rounded up to 256 bytes) and needs every pointer, leading dimension and
// batch stride 16-byte aligned. Algorithm 1: no workspace, element alignment only. Both compute the same sums
// in the same order (blas_core.h run_gemm).
constexpr std::uint64_t kAlgoMagic = 0x43474c54414c474full; // "CGLTALGO"

struct AlgoInfo
{
    int id;
    std::size_t workspace;
    std::uint32_t alignment;
};

bool decode_algo(const void* algo, AlgoInfo& info)
{
    std::uint64_t data[8];
    std::memcpy(data, algo, sizeof data);
    if (data[0] != kAlgoMagic || data[1] > 1)
        return false;
    info = {(int)data[1], (std::size_t)data[2], (std::uint32_t)data[3]};
    return true;
}

void encode_algo(void* algo, const AlgoInfo& info)
{
    std::uint64_t data[8] = {kAlgoMagic, (std::uint64_t)info.id, info.workspace, info.alignment, 0, 0, 0, 0};
    std::memcpy(algo, data, sizeof data);
}

// What a (descriptor, layouts) combination means, once checked.
struct Problem
{
    Gemm g;
    Desc desc;
    Layout la, lb, lc, ld;
    std::size_t es_a, es_b, es_d, es_bias;
    int bias_type;
};

Matrix matrix_of(const Layout& l)
{
    Matrix m;
    m.type = (int)l.type;
    m.order = l.order;
    m.rows = (std::int64_t)l.rows;
    m.cols = (std::int64_t)l.cols;
    m.ld = l.ld;
    m.batch = l.batch;
    m.stride = l.stride;
    return m;
}

bool is_32f_family(int c) { return c == C32F || c == C32F_PEDANTIC || c == C32F_FAST_TF32 || c == C32F_FAST_16F || c == C32F_FAST_16BF; }

// The type combinations of the cublasLtMatmul documentation's "Datatypes supported" table that the emulator
// computes (regular, non-FP8, non-complex, non-IMMA). Anything else: CUBLAS_STATUS_NOT_SUPPORTED.
bool supported_types(int compute, int scale, int a, int b, int c, std::string& why)
{
    std::ostringstream o;
    o << "compute type " << compute << ", scale type " << type_name(scale) << ", A " << type_name(a) << ", B " << type_name(b) << ", C/D " << type_name(c);
    why = o.str();
    if (compute == C32F || compute == C32F_PEDANTIC)
        return scale == R32F && a == b &&
               ((a == R32F && c == R32F) || (a == R16F && (c == R16F || c == R32F)) || (a == R16BF && (c == R16BF || c == R32F)) || (a == R8I && c == R32F));
    if (compute == C32F_FAST_TF32 || compute == C32F_FAST_16F || compute == C32F_FAST_16BF)
        return scale == R32F && a == R32F && b == R32F && c == R32F;
    if (compute == C64F || compute == C64F_PEDANTIC)
        return scale == R64F && a == R64F && b == R64F && c == R64F;
    if (compute == C16F || compute == C16F_PEDANTIC)
        return scale == R16F && a == R16F && b == R16F && c == R16F;
    return false;
}

int layout_check(const char* name, const Layout& l)
{
    if (!element_size((int)l.type))
        return fail(kNotSupported, std::string(name) + ": data type " + std::to_string(l.type) + " is not one the emulator computes");
    if (l.order != kCol && l.order != kRow)
        return fail(kNotSupported, std::string(name) + ": order " + std::to_string(l.order) + " (only CUBLASLT_ORDER_COL and CUBLASLT_ORDER_ROW are emulated)");
    if (l.plane_offset != 0)
        return fail(kNotSupported, std::string(name) + ": planar complex layouts are not emulated");
    if (l.ld < 0)
        return fail(kInvalidValue, std::string(name) + ": a negative leading dimension");
    std::uint64_t need = l.order == kCol ? l.rows : l.cols;
    if ((std::uint64_t)l.ld < std::max<std::uint64_t>(1, need))
        return fail(kInvalidValue, std::string(name) + ": ld " + std::to_string(l.ld) + " is smaller than its " + (l.order == kCol ? "rows " : "columns ") +
                                       std::to_string(need) + " (" + (l.order == kCol ? "CUBLASLT_ORDER_COL" : "CUBLASLT_ORDER_ROW") +
                                       "): columns would overlap (cublasLtMatrixLayoutAttribute_t, CUBLASLT_MATRIX_LAYOUT_LD)");
    if (l.batch < 1)
        return fail(kInvalidValue, std::string(name) + ": batch count " + std::to_string(l.batch) + " (at least 1)");
    if (l.rows > 0x7fffffffull || l.cols > 0x7fffffffull)
        return fail(kNotSupported, std::string(name) + ": dimensions beyond int32");
    return kSuccess;
}

int build_problem(void* handle, void* descp, void* a, void* b, void* c, void* d, Problem& p)
{
    if (!g_handles.count(handle))
        return fail(kNotInitialized, "the cuBLASLt handle was not created by cublasLtCreate (or was destroyed)");
    if (!g_descs.count(descp))
        return fail(kInvalidValue, "computeDesc is not a live cublasLtMatmulDesc_t");
    for (void* l : {a, b, c, d})
        if (!g_layouts.count(l))
            return fail(kInvalidValue, "a matrix layout is not a live cublasLtMatrixLayout_t");
    p.desc = *static_cast<Desc*>(descp);
    p.la = *static_cast<Layout*>(a);
    p.lb = *static_cast<Layout*>(b);
    p.lc = *static_cast<Layout*>(c);
    p.ld = *static_cast<Layout*>(d);
    const Desc& ds = p.desc;
    if (int s = layout_check("Adesc", p.la)) return s;
    if (int s = layout_check("Bdesc", p.lb)) return s;
    if (int s = layout_check("Cdesc", p.lc)) return s;
    if (int s = layout_check("Ddesc", p.ld)) return s;
    std::string why;
    if (p.lc.type != p.ld.type)
        return fail(kNotSupported, std::string("C is ") + type_name((int)p.lc.type) + " but D is " + type_name((int)p.ld.type) + " (Ctype must equal Dtype)");
    if (!supported_types(ds.compute, ds.scale, (int)p.la.type, (int)p.lb.type, (int)p.ld.type, why))
        return fail(kNotSupported, "unsupported combination: " + why + " (cublasLtMatmul, supported data types)");
    if (ds.pointer_mode != 0 && ds.pointer_mode != 1)
        return fail(kNotSupported, "pointer mode " + std::to_string(ds.pointer_mode) + " (vector pointer modes are not emulated)");
    auto op = [](std::int32_t t, bool& trans) {
        if (t == 0) { trans = false; return true; }
        if (t == 1 || t == 2) { trans = true; return true; } // CUBLAS_OP_C is CUBLAS_OP_T for real types
        return false;
    };
    if (!op(ds.transa, p.g.transa) || !op(ds.transb, p.g.transb))
        return fail(kInvalidValue, "TRANSA/TRANSB must be CUBLAS_OP_N, CUBLAS_OP_T or CUBLAS_OP_C");
    if (ds.transc != 0)
        return fail(kNotSupported, "CUBLASLT_MATMUL_DESC_TRANSC: only CUBLAS_OP_N is supported");
    if (ds.fill != 2)
        return fail(kNotSupported, "CUBLASLT_MATMUL_DESC_FILL_MODE: only CUBLAS_FILL_MODE_FULL is emulated");
    switch (ds.epilogue)
    {
    case 1: break;
    case 2: p.g.relu = true; break;
    case 4: p.g.bias = true; break;
    case 6: p.g.relu = p.g.bias = true; break;
    default: return fail(kNotSupported, "epilogue " + std::to_string(ds.epilogue) + " (the emulator has DEFAULT, RELU, BIAS and RELU_BIAS)");
    }
    if (ds.aux || ds.a_scale || ds.b_scale || ds.c_scale || ds.d_scale || ds.amax_d || ds.aux_scale || ds.aux_amax || ds.chunks_rows || ds.chunks_cols ||
        ds.in_counters || ds.out_counters || ds.alpha_vector_stride)
        return fail(kNotSupported, "auxiliary, scaling, amax and atomic-synchronization attributes are not emulated");
    // Dimensions: op(A) is m×k, op(B) k×n, C and D m×n.
    std::int64_t m = (std::int64_t)p.ld.rows, n = (std::int64_t)p.ld.cols;
    std::int64_t ar = (std::int64_t)p.la.rows, ac = (std::int64_t)p.la.cols, br = (std::int64_t)p.lb.rows, bc = (std::int64_t)p.lb.cols;
    std::int64_t opa_r = p.g.transa ? ac : ar, opa_c = p.g.transa ? ar : ac;
    std::int64_t opb_r = p.g.transb ? bc : br, opb_c = p.g.transb ? br : bc;
    std::ostringstream dims;
    dims << "op(A) is " << opa_r << "×" << opa_c << ", op(B) " << opb_r << "×" << opb_c << ", C " << p.lc.rows << "×" << p.lc.cols << ", D " << m << "×" << n;
    if (opa_r != m || opb_c != n || opa_c != opb_r || (std::int64_t)p.lc.rows != m || (std::int64_t)p.lc.cols != n)
        return fail(kInvalidValue, "the shapes do not make a product: " + dims.str() + " (D = op(A)·op(B) needs op(A) m×k, op(B) k×n, C and D m×n)");
    int batch = p.ld.batch;
    if (p.la.batch != batch || p.lb.batch != batch || p.lc.batch != batch)
        return fail(kInvalidValue, "batch counts differ: A " + std::to_string(p.la.batch) + ", B " + std::to_string(p.lb.batch) + ", C " +
                                       std::to_string(p.lc.batch) + ", D " + std::to_string(batch));
    p.g.m = m;
    p.g.n = n;
    p.g.k = opa_c;
    p.g.batch = batch;
    p.g.a = matrix_of(p.la);
    p.g.b = matrix_of(p.lb);
    p.g.c = matrix_of(p.lc);
    p.g.d = matrix_of(p.ld);
    p.g.scale_type = ds.scale;
    switch (ds.compute)
    {
    case C32F_FAST_TF32: p.g.rounding = InputRounding::tf32; break;
    case C32F_FAST_16F: p.g.rounding = InputRounding::f16; break;
    case C32F_FAST_16BF: p.g.rounding = InputRounding::bf16; break;
    default: p.g.rounding = InputRounding::none; break;
    }
    p.g.accumulate = (ds.compute == C64F || ds.compute == C64F_PEDANTIC) ? Accumulate::f64 : (ds.compute == C16F || ds.compute == C16F_PEDANTIC) ? Accumulate::f16 : Accumulate::f32;
    // Bias (CUBLASLT_MATMUL_DESC_BIAS_POINTER / _BIAS_DATA_TYPE / _BIAS_BATCH_STRIDE): one element per row of D, of
    // D's type (the documented exceptions are IMMA and FP8 kernels, which the emulator does not have).
    p.bias_type = ds.bias_type == -1 ? (int)p.ld.type : ds.bias_type;
    if (p.g.bias)
    {
        if (p.bias_type != (int)p.ld.type)
            return fail(kNotSupported, std::string("bias data type ") + type_name(p.bias_type) + " with D of type " + type_name((int)p.ld.type) +
                                           " (the bias has D's type outside IMMA and FP8 kernels)");
        p.g.bias_vector.type = p.bias_type;
        p.g.bias_vector.ptr = ds.bias;
        p.g.bias_vector.rows = m;
        p.g.bias_vector.cols = 1;
        p.g.bias_vector.ld = std::max<std::int64_t>(m, 1);
        p.g.bias_vector.batch = batch;
        p.g.bias_vector.stride = ds.bias_stride;
    }
    return kSuccess;
}

std::size_t split_k_workspace(const Problem& p)
{
    std::size_t bytes = (std::size_t)p.g.m * (std::size_t)p.g.n * (std::size_t)p.g.batch * 4;
    return (bytes + 255) / 256 * 256;
}

// Whether every pointer, leading dimension and batch stride is a multiple of `alignment` bytes (pointers that are
// 0 are not looked at: the heuristic may be asked before the buffers exist).
bool aligned(const Problem& p, std::uint64_t alignment, std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d, std::string& why)
{
    struct Item
    {
        const char* name;
        std::uint64_t ptr;
        const Layout* l;
    } items[] = {{"A", a, &p.la}, {"B", b, &p.lb}, {"C", c, &p.lc}, {"D", d, &p.ld}};
    for (const Item& it : items)
    {
        std::uint64_t es = element_size((int)it.l->type);
        if (it.ptr % alignment || (std::uint64_t)(it.l->ld * es) % alignment || (std::uint64_t)(std::llabs(it.l->stride) * es) % alignment)
        {
            why = std::string(it.name) + "'s pointer, leading dimension or batch stride is not a multiple of " + std::to_string(alignment) + " bytes";
            return false;
        }
    }
    if (p.g.bias && p.desc.bias % alignment)
    {
        why = "the bias pointer is not a multiple of " + std::to_string(alignment) + " bytes";
        return false;
    }
    return true;
}

// The objects callers create (handles, matmul descriptors, layouts, preferences) live in one set per kind, so every
// call refuses a destroyed or foreign pointer. adopt registers a new one and hands it out.
int adopt(std::set<void*>& live, void* object, void** out)
{
    live.insert(object);
    *out = object;
    return kSuccess;
}

// Destroys a live matmul descriptor, layout or preference; null does nothing, any other pointer not live is refused.
template <typename T>
int destroy_live(std::set<void*>& live, void* object, const char* api, const char* what)
{
    if (!object)
        return kSuccess;
    if (!live.count(object))
        return fail(kInvalidValue, std::string(api) + ": not a live " + what);
    live.erase(object);
    delete static_cast<T*>(object);
    return kSuccess;
}
} // namespace

// ---- entry points --------------------------------------------------------------------------------------
LT_API int cublasLtCreate(void** handle)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!handle)
        return fail(kInvalidValue, "cublasLtCreate: lightHandle is NULL");
    auto* h = new Handle();
    return adopt(g_handles, h, handle);
}

LT_API int cublasLtDestroy(void* handle)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_handles.count(handle))
        return fail(kNotInitialized, "cublasLtDestroy: not a live cuBLASLt handle");
    g_handles.erase(handle);
    delete static_cast<Handle*>(handle);
    return kSuccess;
}

LT_API std::size_t cublasLtGetVersion() { return kVersion; }

LT_API std::size_t cublasLtGetCudartVersion() { return 12060; }

LT_API int cublasLtGetProperty(int type, int* value)
{
    if (!value)
        return fail(kInvalidValue, "cublasLtGetProperty: value is NULL");
    switch (type)
    {
    case 0: *value = kMajor; return kSuccess;
    case 1: *value = kMinor; return kSuccess;
    case 2: *value = kPatch; return kSuccess;
    default: return fail(kInvalidValue, "cublasLtGetProperty: unknown libraryPropertyType " + std::to_string(type));
    }
}

// The status's name; the string adds the calling thread's last failure detail when it failed with that status.
LT_API const char* cublasLtGetStatusName(int status) { return status_name(status); }

LT_API const char* cublasLtGetStatusString(int status)
{
    return status_string_with_detail("cuBLASLt", status);
}

LT_API int cublasLtMatmulDescCreate(void** desc, int compute, int scale)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!desc)
        return fail(kInvalidValue, "cublasLtMatmulDescCreate: matmulDesc is NULL");
    auto* d = new Desc();
    d->compute = compute;
    d->scale = scale;
    return adopt(g_descs, d, desc);
}

LT_API int cublasLtMatmulDescDestroy(void* desc)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    return destroy_live<Desc>(g_descs, desc, "cublasLtMatmulDescDestroy", "matmul descriptor");
}

LT_API int cublasLtMatmulDescSetAttribute(void* desc, int attr, const void* buf, std::size_t size)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    bool known = g_descs.count(desc) != 0;
    Field f{};
    bool found = known && desc_field(*static_cast<Desc*>(desc), attr, f);
    return set_attribute("cublasLtMatmulDescSetAttribute", known, found, f, attr, buf, size);
}

LT_API int cublasLtMatrixLayoutCreate(void** layout, int type, std::uint64_t rows, std::uint64_t cols, std::int64_t ld)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!layout)
        return fail(kInvalidValue, "cublasLtMatrixLayoutCreate: matLayout is NULL");
    auto* l = new Layout();
    l->type = (std::uint32_t)type;
    l->rows = rows;
    l->cols = cols;
    l->ld = ld;
    return adopt(g_layouts, l, layout);
}

LT_API int cublasLtMatrixLayoutDestroy(void* layout)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    return destroy_live<Layout>(g_layouts, layout, "cublasLtMatrixLayoutDestroy", "matrix layout");
}

LT_API int cublasLtMatrixLayoutSetAttribute(void* layout, int attr, const void* buf, std::size_t size)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    bool known = g_layouts.count(layout) != 0;
    Field f{};
    bool found = known && layout_field(*static_cast<Layout*>(layout), attr, f);
    return set_attribute("cublasLtMatrixLayoutSetAttribute", known, found, f, attr, buf, size);
}

LT_API int cublasLtMatmulPreferenceCreate(void** pref)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!pref)
        return fail(kInvalidValue, "cublasLtMatmulPreferenceCreate: pref is NULL");
    auto* p = new Pref();
    return adopt(g_prefs, p, pref);
}

LT_API int cublasLtMatmulPreferenceDestroy(void* pref)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    return destroy_live<Pref>(g_prefs, pref, "cublasLtMatmulPreferenceDestroy", "preference");
}

LT_API int cublasLtMatmulPreferenceSetAttribute(void* pref, int attr, const void* buf, std::size_t size)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    bool known = g_prefs.count(pref) != 0;
    Field f{};
    bool found = known && pref_field(*static_cast<Pref*>(pref), attr, f);
    return set_attribute("cublasLtMatmulPreferenceSetAttribute", known, found, f, attr, buf, size);
}

// cublasLtMatmulHeuristicResult_t (cublasLt.h)
struct HeuristicResult
{
    std::uint64_t algo[8];
    std::size_t workspaceSize;
    int state;
    float wavesCount;
    int reserved[4];
};

LT_API int cublasLtMatmulAlgoGetHeuristic(void* handle, void* desc, void* a, void* b, void* c, void* d, void* pref, int requested, HeuristicResult* results,
                                          int* returned)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    const char* call = "cublasLtMatmulAlgoGetHeuristic";
    if (!results || !returned)
        return fail(kInvalidValue, std::string(call) + ": heuristicResultsArray or returnAlgoCount is NULL");
    *returned = 0;
    if (requested <= 0)
        return fail(kInvalidValue, std::string(call) + ": requestedAlgoCount must be positive");
    if (!g_prefs.count(pref))
        return fail(kInvalidValue, std::string(call) + ": preference is not a live cublasLtMatmulPreference_t");
    Problem p;
    if (int s = build_problem(handle, desc, a, b, c, d, p))
        return s;
    const Pref& pr = *static_cast<Pref*>(pref);
    std::uint32_t pref_align = std::min(std::min(pr.align_a, pr.align_b), std::min(pr.align_c, pr.align_d));
    double tiles = std::ceil(p.g.m / 64.0) * std::ceil(p.g.n / 64.0) * p.g.batch;
    float waves = (float)(tiles / 4.0); // the emulated device has 4 SMs (cuDeviceGetAttribute)
    std::vector<AlgoInfo> found;
    std::string why;
    std::size_t ws = split_k_workspace(p);
    if (p.g.k > 0 && ws <= pr.max_workspace && pref_align >= 16 && aligned(p, 16, 0, 0, 0, 0, why))
        found.push_back({0, ws, 16});
    std::uint32_t es = (std::uint32_t)std::max(std::max(element_size((int)p.la.type), element_size((int)p.lb.type)), element_size((int)p.ld.type));
    if (pref_align >= es && aligned(p, 1, 0, 0, 0, 0, why))
        found.push_back({1, 0, 1});
    if (found.empty())
        return fail(kNotSupported, std::string(call) + ": no emulated algorithm fits (the preference's alignments are below " + std::to_string(es) +
                                       " bytes, or no workspace is allowed for split-K and there is no other)");
    int count = std::min<int>(requested, (int)found.size());
    for (int i = 0; i < count; ++i)
    {
        std::memset(&results[i], 0, sizeof results[i]);
        encode_algo(results[i].algo, found[i]);
        results[i].workspaceSize = found[i].workspace;
        results[i].state = kSuccess;
        results[i].wavesCount = waves;
    }
    *returned = count;
    return kSuccess;
}

LT_API int cublasLtMatmul(void* handle, void* desc, const void* alpha, const void* A, void* adesc, const void* B, void* bdesc, const void* beta, const void* C,
                          void* cdesc, void* D, void* ddesc, const void* algo, void* workspace, std::size_t workspace_bytes, void* stream)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    std::string call = "cublasLtMatmul (call #" + std::to_string(++g_calls) + ")";
    Problem p;
    if (int s = build_problem(handle, desc, adesc, bdesc, cdesc, ddesc, p))
        return s;
    if (!alpha || !beta)
        return fail(kInvalidValue, call + ": alpha or beta is NULL");
    AlgoInfo info{1, 0, 1};
    if (algo && !decode_algo(algo, info))
        return fail(kInvalidValue, call + ": algo is not an algorithm cublasLtMatmulAlgoGetHeuristic returned");
    // "CUBLAS_STATUS_INVALID_VALUE … when workspaceSizeInBytes is less than workspace required by the configured algo"
    if (workspace_bytes < info.workspace)
        return fail(kInvalidValue, call + ": workspaceSizeInBytes " + std::to_string(workspace_bytes) + " is less than the " + std::to_string(info.workspace) +
                                       " bytes the algorithm requires");
    if (workspace_bytes && !workspace)
        return fail(kInvalidValue, call + ": a workspace size of " + std::to_string(workspace_bytes) + " bytes with a NULL workspace");
    auto u = [](const void* x) { return reinterpret_cast<std::uint64_t>(x); };
    std::string why;
    if (!aligned(p, info.alignment, u(A), u(B), u(C), u(D), why))
        return fail(kNotSupported, call + ": the algorithm cannot run this configuration: " + why);
    struct
    {
        const char* name;
        std::uint64_t ptr;
        int type;
    } elements[] = {{"A", u(A), (int)p.la.type}, {"B", u(B), (int)p.lb.type}, {"C", u(C), (int)p.lc.type}, {"D", u(D), (int)p.ld.type}, {"bias", p.g.bias ? p.desc.bias : 0, p.bias_type}};
    for (const auto& e : elements)
        if (e.ptr % element_size(e.type))
            return fail(kNotSupported, call + ": " + e.name + " is not aligned to its " + std::to_string(element_size(e.type)) + "-byte elements");
    if (p.g.bias && !p.desc.bias)
        return fail(kInvalidValue, call + ": the epilogue adds a bias but CUBLASLT_MATMUL_DESC_BIAS_POINTER is NULL");
    Gemm& g = p.g;
    g.a.ptr = u(A);
    g.b.ptr = u(B);
    g.d.ptr = u(D);
    bool device_scalars = p.desc.pointer_mode == 1;
    std::size_t scale_bytes = element_size(p.desc.scale);
    std::vector<cg_emu::DeviceRange> ranges;
    if (device_scalars)
    {
        g.alpha_device = u(alpha);
        g.beta_device = u(beta);
        ranges.push_back({u(alpha), scale_bytes, "cublasLtMatmul alpha"});
        ranges.push_back({u(beta), scale_bytes, "cublasLtMatmul beta"});
        g.c.ptr = u(C);
    }
    else
    {
        g.alpha = read_scalar(u(alpha), p.desc.scale);
        g.beta = read_scalar(u(beta), p.desc.scale);
        if (g.beta != 0)
            g.c.ptr = u(C);
    }
    // In place (C == D): "ldc must equal ldd and Corder must equal Dorder" — the layouts must describe the same memory.
    if (C == D && C && (p.lc.order != p.ld.order || p.lc.ld != p.ld.ld || p.lc.stride != p.ld.stride || p.lc.type != p.ld.type))
        return fail(kInvalidValue, call + ": C and D are the same buffer but Cdesc and Ddesc differ (order, ld, batch stride or type)");
    if (g.k > 0 && (!A || !B))
        return fail(kInvalidValue, call + ": A or B is NULL");
    if (!D && g.m > 0 && g.n > 0)
        return fail(kInvalidValue, call + ": D is NULL");
    add_range(ranges, g.a, "cublasLtMatmul A");
    add_range(ranges, g.b, "cublasLtMatmul B");
    if (g.c.ptr)
        add_range(ranges, g.c, "cublasLtMatmul C");
    add_range(ranges, g.d, "cublasLtMatmul D");
    if (g.bias)
    {
        g.bias_vector.ptr = p.desc.bias;
        add_range(ranges, g.bias_vector, "cublasLtMatmul bias (CUBLASLT_MATMUL_DESC_BIAS_POINTER, rows of D)");
    }
    if (workspace_bytes)
        ranges.push_back({u(workspace), workspace_bytes, "cublasLtMatmul workspace (workspaceSizeInBytes)"});
    g.workspace = info.workspace ? u(workspace) : 0;
    g.workspace_used = info.workspace;
    std::string bad = cg_emu::check_device_ranges(ranges);
    if (!bad.empty())
        return fail(kInvalidValue, call + ": " + bad);
    if (g.m == 0 || g.n == 0)
        return kSuccess;
    Gemm copy = g;
    int r = cg_emu::enqueue_library_work(stream, call, ranges, [copy] { return run_gemm(copy); });
    if (r)
        return fail(kExecutionFailed, call + ": the driver refused the work on this stream (CUresult " + std::to_string(r) + ")");
    return kSuccess;
}
