// cublas.cpp — the emulated cuBLAS (libcublas.so.12): the entry points the project calls
// (src/CudaGenre.Cuda/Blas/CublasApi.cs), with the semantics of NVIDIA's cuBLAS documentation (cuBLAS 12.x):
// handles with a stream, workspace, math mode and pointer mode; cublasSgemm, cublasGemmEx and
// cublasGemmStridedBatchedEx with the documented argument checks and type combinations, every device range
// checked by the driver and the product queued on the handle's stream.
// The rules and the page each rests on: tools/cuda-emulator/README.md, "Emulated cuBLASLt and cuBLAS".
#include "blas_core.h"

#include <cstdio>
#include <mutex>
#include <set>

#define BLAS_API extern "C" __attribute__((visibility("default")))

using namespace cg_blas;

namespace
{
std::mutex& g_mutex = *new std::mutex();
std::set<void*>& g_handles = *new std::set<void*>();
unsigned long long g_calls = 0;
int fail(int status, const std::string& detail) { return record_failure("cuBLAS", status, detail); }

struct Handle
{
    void* stream = nullptr; // CUstream; null = the legacy default stream
    std::uint64_t workspace = 0;
    std::size_t workspace_bytes = 0;
    int math_mode = 0;    // cublasMath_t
    int pointer_mode = 0; // cublasPointerMode_t
};

Handle* handle_of(void* h) { return g_handles.count(h) ? static_cast<Handle*>(h) : nullptr; }

bool valid_op(int op, bool& trans)
{
    if (op == 0) { trans = false; return true; }
    if (op == 1 || op == 2) { trans = true; return true; } // CUBLAS_OP_C is CUBLAS_OP_T for real data
    return false;
}

// cublasGemmEx's table of supported (computeType, Atype, Btype, Ctype) combinations for real data, and the scale
// type (alpha, beta) each implies. CUBLAS_COMPUTE_32I (IMMA) is not emulated.
bool gemm_ex_types(int compute, int a, int b, int c, int& scale)
{
    if (a != b)
        return false;
    switch (compute)
    {
    case C16F:
    case C16F_PEDANTIC:
        scale = R16F;
        return a == R16F && c == R16F;
    case C32F:
    case C32F_PEDANTIC:
        scale = R32F;
        return (a == R32F && c == R32F) || (a == R16F && (c == R16F || c == R32F)) || (a == R16BF && (c == R16BF || c == R32F)) || (a == R8I && c == R32F);
    case C32F_FAST_16F:
    case C32F_FAST_16BF:
    case C32F_FAST_TF32:
        scale = R32F;
        return a == R32F && c == R32F;
    case C64F:
    case C64F_PEDANTIC:
        scale = R64F;
        return a == R64F && c == R64F;
    default:
        return false;
    }
}

bool valid_algo(int algo) { return algo == -1 || (algo >= 0 && algo <= 23) || algo == 99 || (algo >= 100 && algo <= 115); }

// The common body of the three GEMMs. Column-major; strides 0 and batch 1 for the unbatched ones.
int gemm(const char* name, void* hp, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype, int lda, long long stride_a,
         const void* B, int btype, int ldb, long long stride_b, const void* beta, void* C, int ctype, int ldc, long long stride_c, int batch, int compute,
         int algo)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    std::string call = std::string(name) + " (call #" + std::to_string(++g_calls) + ")";
    Handle* h = handle_of(hp);
    if (!h)
        return fail(kNotInitialized, call + ": the handle was not created by cublasCreate (or was destroyed)");
    Gemm g;
    if (!valid_op(transa, g.transa) || !valid_op(transb, g.transb))
        return fail(kInvalidValue, call + ": transa/transb must be CUBLAS_OP_N, CUBLAS_OP_T or CUBLAS_OP_C");
    if (m < 0 || n < 0 || k < 0 || batch < 0)
        return fail(kInvalidValue, call + ": m, n, k and batchCount must not be negative");
    int a_rows = g.transa ? k : m, a_cols = g.transa ? m : k;
    int b_rows = g.transb ? n : k, b_cols = g.transb ? k : n;
    // "lda < max(1, m) if transa == CUBLAS_OP_N and lda < max(1, k) otherwise", likewise ldb, and ldc < max(1, m).
    if (lda < std::max(1, a_rows) || ldb < std::max(1, b_rows) || ldc < std::max(1, m))
        return fail(kInvalidValue, call + ": lda " + std::to_string(lda) + " (needs ≥ " + std::to_string(std::max(1, a_rows)) + "), ldb " + std::to_string(ldb) +
                                       " (needs ≥ " + std::to_string(std::max(1, b_rows)) + "), ldc " + std::to_string(ldc) + " (needs ≥ " +
                                       std::to_string(std::max(1, m)) + ")");
    if (!alpha || !beta)
        return fail(kInvalidValue, call + ": alpha or beta is NULL");
    int scale = R32F;
    if (!gemm_ex_types(compute, atype, btype, ctype, scale))
        return fail(kNotSupported, call + ": the combination compute type " + std::to_string(compute) + ", Atype " + type_name(atype) + ", Btype " + type_name(btype) +
                                       ", Ctype " + type_name(ctype) + " is not supported");
    if (!valid_algo(algo))
        return fail(kNotSupported, call + ": algo " + std::to_string(algo) + " is not a cublasGemmAlgo_t");
    g.m = m;
    g.n = n;
    g.k = k;
    g.batch = batch;
    g.scale_type = scale;
    auto u = [](const void* x) { return reinterpret_cast<std::uint64_t>(x); };
    auto mat = [&](std::uint64_t p, int type, int rows, int cols, int ld, long long stride) {
        Matrix x;
        x.ptr = p;
        x.type = type;
        x.order = kCol;
        x.rows = rows;
        x.cols = cols;
        x.ld = ld;
        x.batch = std::max(batch, 1);
        x.stride = stride;
        return x;
    };
    g.a = mat(u(A), atype, a_rows, a_cols, lda, stride_a);
    g.b = mat(u(B), btype, b_rows, b_cols, ldb, stride_b);
    g.c = mat(u(C), ctype, m, n, ldc, stride_c);
    g.d = g.c;
    // TF32: CUBLAS_COMPUTE_32F_FAST_TF32, or CUBLAS_COMPUTE_32F with CUBLAS_TF32_TENSOR_OP_MATH (cublasSetMathMode).
    bool tf32_mode = (h->math_mode & 0xf) == 3;
    switch (compute)
    {
    case C32F_FAST_TF32: g.rounding = InputRounding::tf32; break;
    case C32F_FAST_16F: g.rounding = InputRounding::f16; break;
    case C32F_FAST_16BF: g.rounding = InputRounding::bf16; break;
    case C32F: g.rounding = tf32_mode && atype == R32F ? InputRounding::tf32 : InputRounding::none; break;
    default: g.rounding = InputRounding::none; break;
    }
    g.accumulate = (compute == C64F || compute == C64F_PEDANTIC) ? Accumulate::f64 : (compute == C16F || compute == C16F_PEDANTIC) ? Accumulate::f16 : Accumulate::f32;
    std::vector<cg_emu::DeviceRange> ranges;
    std::size_t scale_bytes = element_size(scale);
    bool read_c = true;
    if (h->pointer_mode == 1)
    {
        g.alpha_device = u(alpha);
        g.beta_device = u(beta);
        ranges.push_back({u(alpha), scale_bytes, "alpha (CUBLAS_POINTER_MODE_DEVICE)"});
        ranges.push_back({u(beta), scale_bytes, "beta (CUBLAS_POINTER_MODE_DEVICE)"});
    }
    else
    {
        g.alpha = read_scalar(u(alpha), scale);
        g.beta = read_scalar(u(beta), scale);
        read_c = g.beta != 0;
        // Quick return: nothing to do when m or n is 0, or when (k = 0 or alpha = 0) and beta = 1.
        if ((g.k == 0 || g.alpha == 0) && g.beta == 1)
            return kSuccess;
    }
    if (m == 0 || n == 0 || batch == 0)
        return kSuccess;
    add_range(ranges, g.a, "A");
    add_range(ranges, g.b, "B");
    add_range(ranges, g.c, read_c ? "C (read and written)" : "C (written)");
    if (!read_c)
        g.c.ptr = 0;
    if (h->workspace_bytes)
        ranges.push_back({h->workspace, h->workspace_bytes, "the workspace given to cublasSetWorkspace"});
    std::string bad = cg_emu::check_device_ranges(ranges);
    if (!bad.empty())
        return fail(kInvalidValue, call + ": " + bad);
    Gemm copy = g;
    int r = cg_emu::enqueue_library_work(h->stream, call, ranges, [copy] { return run_gemm(copy); });
    if (r)
        return fail(kExecutionFailed, call + ": the driver refused the work on the handle's stream (CUresult " + std::to_string(r) + ")");
    return kSuccess;
}
} // namespace

BLAS_API int cublasCreate_v2(void** handle)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!handle)
        return fail(kInvalidValue, "cublasCreate: handle is NULL");
    auto* h = new Handle();
    g_handles.insert(h);
    *handle = h;
    return kSuccess;
}

BLAS_API int cublasDestroy_v2(void* handle)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!handle_of(handle))
        return fail(kNotInitialized, "cublasDestroy: not a live cuBLAS handle");
    g_handles.erase(handle);
    delete static_cast<Handle*>(handle);
    return kSuccess;
}

BLAS_API int cublasGetVersion_v2(void* handle, int* version)
{
    (void)handle; // the version does not depend on the handle
    if (!version)
        return fail(kInvalidValue, "cublasGetVersion: version is NULL");
    *version = kVersion;
    return kSuccess;
}

BLAS_API int cublasGetProperty(int type, int* value)
{
    if (!value)
        return fail(kInvalidValue, "cublasGetProperty: value is NULL");
    switch (type)
    {
    case 0: *value = kMajor; return kSuccess;
    case 1: *value = kMinor; return kSuccess;
    case 2: *value = kPatch; return kSuccess;
    default: return fail(kInvalidValue, "cublasGetProperty: unknown libraryPropertyType " + std::to_string(type));
    }
}

BLAS_API int cublasSetStream_v2(void* handle, void* stream)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    Handle* h = handle_of(handle);
    if (!h)
        return fail(kNotInitialized, "cublasSetStream: not a live cuBLAS handle");
    h->stream = stream;
    return kSuccess;
}

// cublasSetWorkspace: "CUBLAS_STATUS_INVALID_VALUE … the workspace pointer wasn't aligned to at least 256 bytes".
BLAS_API int cublasSetWorkspace_v2(void* handle, void* workspace, std::size_t bytes)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    Handle* h = handle_of(handle);
    if (!h)
        return fail(kNotInitialized, "cublasSetWorkspace: not a live cuBLAS handle");
    auto p = reinterpret_cast<std::uint64_t>(workspace);
    if (p % 256)
        return fail(kInvalidValue, "cublasSetWorkspace: the workspace is not aligned to 256 bytes");
    if (bytes)
    {
        std::string bad = cg_emu::check_device_ranges({{p, bytes, "cublasSetWorkspace workspace"}});
        if (!bad.empty())
            return fail(kInvalidValue, "cublasSetWorkspace: " + bad);
    }
    h->workspace = bytes ? p : 0;
    h->workspace_bytes = bytes;
    return kSuccess;
}

BLAS_API int cublasSetMathMode(void* handle, int mode)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    Handle* h = handle_of(handle);
    if (!h)
        return fail(kNotInitialized, "cublasSetMathMode: not a live cuBLAS handle");
    int base = mode & ~16; // CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION may be or-ed in
    if (base < 0 || base > 3)
        return fail(kInvalidValue, "cublasSetMathMode: unknown cublasMath_t " + std::to_string(mode));
    h->math_mode = mode;
    return kSuccess;
}

BLAS_API int cublasGetMathMode(void* handle, int* mode)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    Handle* h = handle_of(handle);
    if (!h)
        return fail(kNotInitialized, "cublasGetMathMode: not a live cuBLAS handle");
    if (!mode)
        return fail(kInvalidValue, "cublasGetMathMode: mode is NULL");
    *mode = h->math_mode;
    return kSuccess;
}

BLAS_API int cublasSetPointerMode_v2(void* handle, int mode)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    Handle* h = handle_of(handle);
    if (!h)
        return fail(kNotInitialized, "cublasSetPointerMode: not a live cuBLAS handle");
    if (mode != 0 && mode != 1)
        return fail(kInvalidValue, "cublasSetPointerMode: unknown cublasPointerMode_t " + std::to_string(mode));
    h->pointer_mode = mode;
    return kSuccess;
}

BLAS_API const char* cublasGetStatusName(int status) { return status_name(status); }

BLAS_API const char* cublasGetStatusString(int status)
{
    return status_string_with_detail("cuBLAS", status);
}

BLAS_API int cublasSgemm_v2(void* handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                            const float* beta, float* C, int ldc)
{
    // cublasSgemm is cublasGemmEx with FP32 everything and CUBLAS_COMPUTE_32F (TF32 under CUBLAS_TF32_TENSOR_OP_MATH).
    return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, A, R32F, lda, 0, B, R32F, ldb, 0, beta, C, R32F, ldc, 0, 1, C32F, -1);
}

BLAS_API int cublasGemmEx(void* handle, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype, int lda, const void* B,
                          int btype, int ldb, const void* beta, void* C, int ctype, int ldc, int compute, int algo)
{
    return gemm("cublasGemmEx", handle, transa, transb, m, n, k, alpha, A, atype, lda, 0, B, btype, ldb, 0, beta, C, ctype, ldc, 0, 1, compute, algo);
}

BLAS_API int cublasGemmStridedBatchedEx(void* handle, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype, int lda,
                                        long long stride_a, const void* B, int btype, int ldb, long long stride_b, const void* beta, void* C, int ctype, int ldc,
                                        long long stride_c, int batch, int compute, int algo)
{
    return gemm("cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, alpha, A, atype, lda, stride_a, B, btype, ldb, stride_b, beta, C, ctype, ldc, stride_c,
                batch, compute, algo);
}
