// blas_core.h — what the emulated cuBLASLt (cublasLt.cpp) and cuBLAS (cublas.cpp) share: element types, the
// 16-bit and TF32 roundings, matrix extents, and the one GEMM both run on the CPU. Compiled into each library
// (hidden), so neither depends on the other. Written from NVIDIA's cuBLAS documentation (see the README's
// section "Emulated cuBLASLt and cuBLAS"); the accumulation order below is the emulator's own and fixed.
#pragma once

#include "device_services.h"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace cg_blas
{
// cublasStatus_t (cublas_api.h)
enum Status : int
{
    kSuccess = 0,
    kNotInitialized = 1,
    kAllocFailed = 3,
    kInvalidValue = 7,
    kArchMismatch = 8,
    kMappingError = 11,
    kExecutionFailed = 13,
    kInternalError = 14,
    kNotSupported = 15,
    kLicenseError = 16,
};

// The version both libraries report: cuBLAS 12.6.4 (CUBLAS_VERSION = major·10000 + minor·100 + patch).
constexpr int kMajor = 12, kMinor = 6, kPatch = 4;
constexpr int kVersion = kMajor * 10000 + kMinor * 100 + kPatch;

// cudaDataType_t (library_types.h): the real types the emulator computes with.
enum DataType : int
{
    R32F = 0,
    R64F = 1,
    R16F = 2,
    R8I = 3,
    R32I = 10,
    R16BF = 14,
};

// cublasComputeType_t (cublas_api.h)
enum Compute : int
{
    C16F = 64,
    C16F_PEDANTIC = 65,
    C32F = 68,
    C32F_PEDANTIC = 69,
    C64F = 70,
    C64F_PEDANTIC = 71,
    C32I = 72,
    C32I_PEDANTIC = 73,
    C32F_FAST_16F = 74,
    C32F_FAST_16BF = 75,
    C32F_FAST_TF32 = 77,
};

inline std::size_t element_size(int type)
{
    switch (type)
    {
    case R32F: return 4;
    case R64F: return 8;
    case R16F: return 2;
    case R16BF: return 2;
    case R8I: return 1;
    case R32I: return 4;
    default: return 0;
    }
}

inline const char* type_name(int type)
{
    switch (type)
    {
    case R32F: return "CUDA_R_32F";
    case R64F: return "CUDA_R_64F";
    case R16F: return "CUDA_R_16F";
    case R16BF: return "CUDA_R_16BF";
    case R8I: return "CUDA_R_8I";
    case R32I: return "CUDA_R_32I";
    default: return "an unsupported cudaDataType";
    }
}

inline const char* status_name(int s)
{
    switch (s)
    {
    case kSuccess: return "CUBLAS_STATUS_SUCCESS";
    case kNotInitialized: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case kAllocFailed: return "CUBLAS_STATUS_ALLOC_FAILED";
    case kInvalidValue: return "CUBLAS_STATUS_INVALID_VALUE";
    case kArchMismatch: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case kMappingError: return "CUBLAS_STATUS_MAPPING_ERROR";
    case kExecutionFailed: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case kInternalError: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case kNotSupported: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case kLicenseError: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

inline const char* status_text(int s)
{
    switch (s)
    {
    case kSuccess: return "success";
    case kNotInitialized: return "the library was not initialized";
    case kAllocFailed: return "the resource allocation failed";
    case kInvalidValue: return "an invalid numeric value was used as an argument";
    case kArchMismatch: return "an absent device architectural feature is required";
    case kMappingError: return "an access to GPU memory space failed";
    case kExecutionFailed: return "the GPU program failed to execute";
    case kInternalError: return "an internal operation failed";
    case kNotSupported: return "the functionality requested is not supported";
    case kLicenseError: return "an error was detected when checking the current licensing";
    default: return "an unknown status";
    }
}

// ---- the calling thread's last failure --------------------------------------------------------------------
// Each library (this header is compiled into each, hidden) keeps its own: record_failure stores and prints it, and
// status_string_with_detail appends its detail to the status's text (cublas[Lt]GetStatusString), which is how the
// reason reaches the product's CudaException.
inline thread_local int t_status = 0;
inline thread_local std::string t_detail;
inline thread_local std::string t_text;

inline int record_failure(const char* library, int status, const std::string& detail)
{
    t_status = status;
    t_detail = detail;
    std::fprintf(stderr, "[cuda-emulator %s] %s: %s\n", library, status_name(status), detail.c_str());
    return status;
}

inline const char* status_string_with_detail(const char* library, int status)
{
    t_text = status_text(status);
    if (status && status == t_status && !t_detail.empty())
        t_text += std::string(" (emulated ") + library + ": " + t_detail + ")";
    return t_text.c_str();
}

// ---- rounding -------------------------------------------------------------------------------------------
inline std::uint32_t bits(float f)
{
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float from_bits(std::uint32_t u)
{
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// binary16 → float: exact.
inline float half_to_float(std::uint16_t h)
{
    std::uint32_t sign = (std::uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f)
        return from_bits(sign | 0x7f800000 | (man << 13));
    if (exp == 0)
    {
        if (man == 0)
            return from_bits(sign);
        float v = std::ldexp((float)man, -24); // subnormal: man · 2^-24, exact
        return sign ? -v : v;
    }
    return from_bits(sign | ((exp + 112) << 23) | (man << 13));
}

// float → binary16, round to nearest even, overflow to ±inf, subnormals kept; NaN → 0x7fff (canonical).
inline std::uint16_t float_to_half(float f)
{
    std::uint32_t u = bits(f);
    std::uint16_t sign = (u >> 16) & 0x8000;
    if (std::isnan(f))
        return 0x7fff;
    float a = std::fabs(f);
    if (a >= 65520.0f) // half of the way from 65504 to the next power: rounds to inf
        return sign | 0x7c00;
    if (a < 6.103515625e-05f) // below the smallest normal: a multiple of 2^-24, rounded to nearest even
    {
        float q = std::nearbyint(a * 16777216.0f); // exact scaling; nearbyint rounds half to even (default mode)
        return sign | (std::uint16_t)q;
    }
    std::uint32_t ua = bits(a);
    std::uint32_t exp = (ua >> 23) - 112, man = ua & 0x7fffff;
    std::uint32_t h = (exp << 10) | (man >> 13), rest = man & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        ++h; // carries into the exponent correctly (up to 0x7c00 = inf)
    return sign | (std::uint16_t)h;
}

inline float bf16_to_float(std::uint16_t b) { return from_bits((std::uint32_t)b << 16); }

// float → bfloat16, round to nearest even; NaN → 0x7fff.
inline std::uint16_t float_to_bf16(float f)
{
    if (std::isnan(f))
        return 0x7fff;
    std::uint32_t u = bits(f);
    u += 0x7fff + ((u >> 16) & 1);
    return (std::uint16_t)(u >> 16);
}

// TF32: float with 10 explicit mantissa bits (the low 13 cleared), round to nearest even; inf and NaN kept.
inline float round_tf32(float f)
{
    if (!std::isfinite(f))
        return f;
    std::uint32_t u = bits(f);
    u += 0xfff + ((u >> 13) & 1);
    return from_bits(u & 0xffffe000u);
}

inline float round_half(float f) { return half_to_float(float_to_half(f)); }
inline float round_bf16(float f) { return bf16_to_float(float_to_bf16(f)); }

// ---- matrices -------------------------------------------------------------------------------------------
enum Order : int
{
    kCol = 0,
    kRow = 1,
};

// One operand as stored: element (r, c) of batch b lies at ptr + (b·stride + index(r, c))·size.
struct Matrix
{
    std::uint64_t ptr = 0;
    int type = R32F;
    int order = kCol;
    std::int64_t rows = 0, cols = 0, ld = 0;
    int batch = 1;
    std::int64_t stride = 0; // elements

    std::int64_t index(std::int64_t r, std::int64_t c) const { return order == kCol ? c * ld + r : r * ld + c; }

    // The bytes every batch touches, from the lowest to the highest element: [first, first + bytes).
    void extent(std::uint64_t& first, std::size_t& bytes) const
    {
        first = ptr;
        bytes = 0;
        if (rows <= 0 || cols <= 0 || batch <= 0)
            return;
        std::int64_t last = index(rows - 1, cols - 1);
        std::int64_t lo = std::min<std::int64_t>(0, (std::int64_t)(batch - 1) * stride);
        std::int64_t hi = std::max<std::int64_t>(0, (std::int64_t)(batch - 1) * stride) + last;
        std::size_t es = element_size(type);
        first = ptr + (std::uint64_t)(lo * (std::int64_t)es);
        bytes = (std::size_t)(hi - lo + 1) * es;
    }

    double load(int b, std::int64_t r, std::int64_t c) const
    {
        std::int64_t i = (std::int64_t)b * stride + index(r, c);
        const unsigned char* p = reinterpret_cast<const unsigned char*>(ptr) + i * (std::int64_t)element_size(type);
        switch (type)
        {
        case R32F: { float v; std::memcpy(&v, p, 4); return v; }
        case R64F: { double v; std::memcpy(&v, p, 8); return v; }
        case R16F: { std::uint16_t v; std::memcpy(&v, p, 2); return half_to_float(v); }
        case R16BF: { std::uint16_t v; std::memcpy(&v, p, 2); return bf16_to_float(v); }
        case R8I: { std::int8_t v; std::memcpy(&v, p, 1); return v; }
        case R32I: { std::int32_t v; std::memcpy(&v, p, 4); return v; }
        }
        return 0;
    }

    // Stores v rounded to nearest even into the element type (FP64 results from double; others from their float).
    void store(int b, std::int64_t r, std::int64_t c, double v) const
    {
        std::int64_t i = (std::int64_t)b * stride + index(r, c);
        unsigned char* p = reinterpret_cast<unsigned char*>(ptr) + i * (std::int64_t)element_size(type);
        switch (type)
        {
        case R32F: { float f = (float)v; std::memcpy(p, &f, 4); break; }
        case R64F: std::memcpy(p, &v, 8); break;
        case R16F: { std::uint16_t h = float_to_half((float)v); std::memcpy(p, &h, 2); break; }
        case R16BF: { std::uint16_t h = float_to_bf16((float)v); std::memcpy(p, &h, 2); break; }
        case R32I: { std::int32_t x = (std::int32_t)v; std::memcpy(p, &x, 4); break; }
        }
    }
};

// How inputs are converted before they are multiplied.
enum class InputRounding
{
    none,  // exact (FP32, FP64, or 16-bit/8-bit storage widened exactly)
    tf32,  // CUBLAS_COMPUTE_32F_FAST_TF32 (and CUBLAS_TF32_TENSOR_OP_MATH): 10 mantissa bits, nearest even
    f16,   // CUBLAS_COMPUTE_32F_FAST_16F
    bf16,  // CUBLAS_COMPUTE_32F_FAST_16BF
};

enum class Accumulate
{
    f32, // FP32 fused multiply-adds
    f64, // FP64 fused multiply-adds
    f16, // FP16: every fused multiply-add rounded to binary16 (CUBLAS_COMPUTE_16F)
};

// One GEMM, D = epilogue(alpha·op(A)·op(B) + beta·C), owned by value (a graph may run it many times).
struct Gemm
{
    Matrix a, b, c, d;
    bool transa = false, transb = false;
    std::int64_t m = 0, n = 0, k = 0;
    int batch = 1;
    InputRounding rounding = InputRounding::none;
    Accumulate accumulate = Accumulate::f32;
    int scale_type = R32F; // alpha, beta
    double alpha = 1, beta = 0;
    std::uint64_t alpha_device = 0, beta_device = 0; // device pointer mode: read when the work runs
    bool relu = false;
    bool bias = false;
    Matrix bias_vector; // rows = m, cols = 1, stride = bias batch stride
    std::uint64_t workspace = 0;
    std::size_t workspace_used = 0; // bytes of FP32 partial results the algorithm writes there
};

inline double read_scalar(std::uint64_t p, int type)
{
    Matrix s;
    s.ptr = p;
    s.type = type;
    s.rows = s.cols = s.ld = 1;
    return s.load(0, 0, 0);
}

inline double round_input(double v, InputRounding r)
{
    switch (r)
    {
    case InputRounding::tf32: return round_tf32((float)v);
    case InputRounding::f16: return round_half((float)v);
    case InputRounding::bf16: return round_bf16((float)v);
    default: return v;
    }
}

// The CPU GEMM. Order (fixed): batches in order; within one, columns j = 0…n−1, rows i = 0…m−1; for each (i, j)
// acc = 0, then for p = 0…k−1: acc = fma(op(A)(i,p), op(B)(p,j), acc) in the accumulation precision; then
// t = alpha·acc, t = t + beta·C(i,j) when beta ≠ 0 (C is not read otherwise), t = t + bias(i), t = max(t, 0)
// for ReLU (NaN → 0), stored into D rounded to nearest even. Scale arithmetic in the scale type (FP32 for
// CUDA_R_32F, rounded to FP16 after each step for CUDA_R_16F, FP64 for CUDA_R_64F).
inline std::string run_gemm(const Gemm& g)
{
    auto misaligned = [](const Matrix& x) { return x.ptr % element_size(x.type) != 0; };
    for (const Matrix* x : {&g.a, &g.b, &g.c, &g.d, &g.bias_vector})
        if (x->ptr && misaligned(*x))
        {
            std::ostringstream o;
            o << "misaligned address: a " << type_name(x->type) << " operand at 0x" << std::hex << x->ptr << " is not aligned to its " << std::dec
              << element_size(x->type) << "-byte elements (a GPU faults with CUDA_ERROR_MISALIGNED_ADDRESS)";
            return o.str();
        }
    double alpha = g.alpha_device ? read_scalar(g.alpha_device, g.scale_type) : g.alpha;
    double beta = g.beta_device ? read_scalar(g.beta_device, g.scale_type) : g.beta;
    auto scale_round = [&](double v) -> double {
        if (g.scale_type == R32F)
            return (float)v;
        if (g.scale_type == R16F)
            return round_half((float)v);
        return v;
    };
    float* partial = reinterpret_cast<float*>(g.workspace);
    std::size_t partial_count = g.workspace_used / 4;
    std::size_t written = 0;
    for (int bt = 0; bt < g.batch; ++bt)
    {
        for (std::int64_t j = 0; j < g.n; ++j)
        {
            for (std::int64_t i = 0; i < g.m; ++i)
            {
                double acc = 0;
                float accf = 0;
                for (std::int64_t p = 0; p < g.k; ++p)
                {
                    double av = g.transa ? g.a.load(bt, p, i) : g.a.load(bt, i, p);
                    double bv = g.transb ? g.b.load(bt, j, p) : g.b.load(bt, p, j);
                    av = round_input(av, g.rounding);
                    bv = round_input(bv, g.rounding);
                    switch (g.accumulate)
                    {
                    case Accumulate::f32: accf = std::fmaf((float)av, (float)bv, accf); break;
                    case Accumulate::f16: accf = round_half(std::fmaf((float)av, (float)bv, accf)); break;
                    case Accumulate::f64: acc = std::fma(av, bv, acc); break;
                    }
                }
                if (g.accumulate != Accumulate::f64)
                    acc = accf;
                if (partial && written < partial_count)
                    partial[written++] = (float)acc; // the partial results a split-K algorithm keeps in its workspace
                double t = scale_round(alpha * acc);
                if (beta != 0)
                    t = scale_round(t + scale_round(beta * g.c.load(bt, i, j)));
                if (g.bias)
                    t = scale_round(t + g.bias_vector.load(bt, i, 0));
                if (g.relu)
                    t = t > 0 ? t : 0;
                g.d.store(bt, i, j, t);
            }
        }
    }
    return "";
}

// Adds an operand's exact extent to the ranges checked by the driver.
inline void add_range(std::vector<cg_emu::DeviceRange>& ranges, const Matrix& x, const char* what)
{
    std::uint64_t first;
    std::size_t bytes;
    x.extent(first, bytes);
    if (bytes)
        ranges.push_back({first, bytes, what});
}
} // namespace cg_blas
