// cudnn.cpp — the emulated cuDNN 9 (libcudnn.so.9): the legacy descriptor API entry points CudaGenre calls
// (src/CudaGenre.Cuda/Dnn/CudnnApi.cs), with the semantics of NVIDIA's cuDNN 9 API documentation (see the README's
// "## Emulated cuDNN"). Enum values and signatures follow cuDNN 9.6's cudnn_graph.h/cudnn_ops.h/cudnn_cnn.h; no NVIDIA
// header is included. Every device pointer is checked with cg_emu::check_device_ranges over the exact extent its
// descriptor gives, and every computation is queued with cg_emu::enqueue_library_work on the handle's stream, owning
// copies of the descriptors. Math: storage FLOAT/HALF/BFLOAT16, compute FP32 values accumulated in double in a fixed
// order (documented per operation), rounded once to FP32; TF32 rounding of the convolution inputs where the math type
// allows tensor cores on this sm_90 device (DEFAULT, TENSOR_OP, TENSOR_OP_ALLOW_CONVERSION; never FMA).
#include "device_services.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#define CG_API extern "C" __attribute__((visibility("default")))

extern "C" int cuStreamSynchronize(void* stream); // the emulated driver's

namespace
{
// ---- values of cuDNN 9.6 (cudnn_graph.h, cudnn_ops.h, cudnn_cnn.h) ------------------------------------------------
enum Status : int
{
    SUCCESS = 0,
    NOT_INITIALIZED = 1001,
    BAD_PARAM = 2000,
    BAD_PARAM_NULL_POINTER = 2002,
    BAD_PARAM_SIZE_INSUFFICIENT = 2006,
    BAD_PARAM_SHAPE_MISMATCH = 2008,
    NOT_SUPPORTED = 3000,
    NOT_SUPPORTED_DATA_TYPE = 3003,
    NOT_SUPPORTED_LAYOUT = 3004,
    INTERNAL_ERROR = 4000,
    EXECUTION_FAILED = 5000,
    EXECUTION_FAILED_CUDA_DRIVER = 5001,
};
enum DataType { DT_FLOAT = 0, DT_DOUBLE = 1, DT_HALF = 2, DT_INT8 = 3, DT_INT32 = 4, DT_INT8x4 = 5, DT_UINT8 = 6, DT_UINT8x4 = 7, DT_INT8x32 = 8, DT_BFLOAT16 = 9 };
enum Format { NCHW = 0, NHWC = 1, NCHW_VECT_C = 2, STRIDED = -1 };
enum MathType { DEFAULT_MATH = 0, TENSOR_OP_MATH = 1, TENSOR_OP_MATH_ALLOW_CONVERSION = 2, FMA_MATH = 3 };
enum Activation { SIGMOID = 0, RELU = 1, TANH = 2, CLIPPED_RELU = 3, ELU = 4, IDENTITY = 5, SWISH = 6 };
enum Pooling { POOL_MAX = 0, POOL_AVG_INCLUDE = 1, POOL_AVG_EXCLUDE = 2, POOL_MAX_DETERMINISTIC = 3 };
enum ConvMode { CONVOLUTION = 0, CROSS_CORRELATION = 1 };
enum Algo { IMPLICIT_GEMM = 0, IMPLICIT_PRECOMP_GEMM = 1, GEMM = 2, DIRECT = 3, FFT = 4, FFT_TILING = 5, WINOGRAD = 6, WINOGRAD_NONFUSED = 7, ALGO_COUNT = 8 };
enum SoftmaxAlgo { SOFTMAX_FAST = 0, SOFTMAX_ACCURATE = 1, SOFTMAX_LOG = 2 };
enum SoftmaxMode { SOFTMAX_INSTANCE = 0, SOFTMAX_CHANNEL = 1 };

struct AlgoPerf // cudnnConvolutionFwdAlgoPerf_t
{
    int algo;
    int status;
    float time;
    std::size_t memory;
    int determinism; // CUDNN_NON_DETERMINISTIC = 0, CUDNN_DETERMINISTIC = 1
    int mathType;
    int reserved[3];
};

const char* algo_name(int a)
{
    static const char* names[] = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
    return a >= 0 && a < ALGO_COUNT ? names[a] : "(invalid algorithm)";
}

// ---- descriptors: exactly what the setters were given -------------------------------------------------------------
struct TensorDesc
{
    static constexpr std::uint32_t kMagic = 0x7e45;
    std::uint32_t magic = kMagic;
    bool set = false;
    int dtype = 0, format = NCHW;
    int n = 0, c = 0, h = 0, w = 0;
    int ns = 0, cs = 0, hs = 0, ws = 0;
};
struct FilterDesc
{
    static constexpr std::uint32_t kMagic = 0xf117;
    std::uint32_t magic = kMagic;
    bool set = false;
    int dtype = 0, format = NCHW;
    int k = 0, c = 0, r = 0, s = 0;
};
struct ActivationDesc
{
    static constexpr std::uint32_t kMagic = 0xac71;
    std::uint32_t magic = kMagic;
    bool set = false;
    int mode = 0, nan = 0;
    double coef = 0;
};
struct PoolingDesc
{
    static constexpr std::uint32_t kMagic = 0x9001;
    std::uint32_t magic = kMagic;
    bool set = false;
    int mode = 0, nan = 0, wh = 0, ww = 0, ph = 0, pw = 0, sh = 0, sw = 0;
};
struct ConvDesc
{
    static constexpr std::uint32_t kMagic = 0xc0de;
    std::uint32_t magic = kMagic;
    bool set = false;
    int pad_h = 0, pad_w = 0, u = 1, v = 1, dh = 1, dw = 1, mode = CROSS_CORRELATION, compute = DT_FLOAT;
    int groups = 1, math = DEFAULT_MATH;
};
struct Handle
{
    static constexpr std::uint32_t kMagic = 0x4a4d;
    std::uint32_t magic = kMagic;
    void* stream = nullptr;
    unsigned long long calls = 0;
};

thread_local std::string t_last_error;

int fail(int status, const std::string& message)
{
    t_last_error = message;
    return status;
}

std::size_t element_size(int dtype)
{
    switch (dtype)
    {
    case DT_FLOAT: case DT_INT32: case DT_INT8x4: case DT_UINT8x4: return 4;
    case DT_DOUBLE: return 8;
    case DT_HALF: case DT_BFLOAT16: return 2;
    case DT_INT8: case DT_UINT8: return 1;
    case DT_INT8x32: return 32;
    default: return 0;
    }
}
const char* dtype_name(int d)
{
    switch (d)
    {
    case DT_FLOAT: return "FLOAT"; case DT_DOUBLE: return "DOUBLE"; case DT_HALF: return "HALF"; case DT_INT8: return "INT8";
    case DT_INT32: return "INT32"; case DT_INT8x4: return "INT8x4"; case DT_UINT8: return "UINT8"; case DT_UINT8x4: return "UINT8x4";
    case DT_INT8x32: return "INT8x32"; case DT_BFLOAT16: return "BFLOAT16"; default: return "(invalid data type)";
    }
}
bool storage_supported(int d) { return d == DT_FLOAT || d == DT_HALF || d == DT_BFLOAT16; }

std::string dims(const TensorDesc& t)
{
    char b[160];
    std::snprintf(b, sizeof b, "%s %d×%d×%d×%d strides %d,%d,%d,%d", dtype_name(t.dtype), t.n, t.c, t.h, t.w, t.ns, t.cs, t.hs, t.ws);
    return b;
}
std::string dims(const FilterDesc& f)
{
    char b[120];
    std::snprintf(b, sizeof b, "%s %s %d×%d×%d×%d", dtype_name(f.dtype), f.format == NHWC ? "KRSC (NHWC)" : "KCRS (NCHW)", f.k, f.c, f.r, f.s);
    return b;
}

// ---- 16-bit storage ------------------------------------------------------------------------------------------------
float half_to_float(std::uint16_t h)
{
    std::uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 31, man = h & 1023;
    float v;
    if (exp == 0) v = std::ldexp(static_cast<float>(man), -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = std::ldexp(static_cast<float>(man | 1024), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}
std::uint16_t float_to_half(float f) // round to nearest even
{
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    std::uint32_t sign = (x >> 16) & 0x8000;
    if (std::isnan(f)) return static_cast<std::uint16_t>(sign | 0x7e00);
    float a = std::fabs(f);
    if (a >= 65520.0f) return static_cast<std::uint16_t>(sign | 0x7c00);
    if (a < 6.103515625e-05f) // subnormal: multiples of 2^-24
    {
        float q = std::nearbyint(a * 16777216.0f);
        return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(q));
    }
    int e;
    float m = std::frexp(a, &e); // a = m·2^e, m in [0.5,1)
    float q = std::nearbyint(std::ldexp(m, 11)); // 11 significant bits
    if (q >= 2048.0f) { q = 1024.0f; e += 1; }
    std::uint32_t exp = static_cast<std::uint32_t>(e - 1 + 15);
    if (exp >= 31) return static_cast<std::uint16_t>(sign | 0x7c00);
    return static_cast<std::uint16_t>(sign | (exp << 10) | (static_cast<std::uint32_t>(q) - 1024));
}
float bf16_to_float(std::uint16_t b)
{
    std::uint32_t x = static_cast<std::uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}
std::uint16_t float_to_bf16(float f)
{
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    if (std::isnan(f)) return static_cast<std::uint16_t>((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return static_cast<std::uint16_t>(x >> 16);
}
// TF32: FP32 rounded to 10 explicit mantissa bits, nearest even (what tensor cores read for FP32 data).
float to_tf32(float f)
{
    if (!std::isfinite(f)) return f;
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    x += 0xfff + ((x >> 13) & 1);
    x &= 0xffffe000u;
    std::memcpy(&f, &x, 4);
    return f;
}

float load(int dtype, std::uint64_t base, long long index)
{
    switch (dtype)
    {
    case DT_FLOAT: return reinterpret_cast<const float*>(base)[index];
    case DT_HALF: return half_to_float(reinterpret_cast<const std::uint16_t*>(base)[index]);
    default: return bf16_to_float(reinterpret_cast<const std::uint16_t*>(base)[index]);
    }
}
void store(int dtype, std::uint64_t base, long long index, float v)
{
    switch (dtype)
    {
    case DT_FLOAT: reinterpret_cast<float*>(base)[index] = v; break;
    case DT_HALF: reinterpret_cast<std::uint16_t*>(base)[index] = float_to_half(v); break;
    default: reinterpret_cast<std::uint16_t*>(base)[index] = float_to_bf16(v); break;
    }
}

// Bytes a tensor spans from its base: (1 + Σ (dim−1)·stride) elements.
std::size_t extent(const TensorDesc& t)
{
    long long last = static_cast<long long>(t.n - 1) * t.ns + static_cast<long long>(t.c - 1) * t.cs + static_cast<long long>(t.h - 1) * t.hs +
                     static_cast<long long>(t.w - 1) * t.ws;
    return static_cast<std::size_t>(last + 1) * element_size(t.dtype);
}
std::size_t extent(const FilterDesc& f) { return static_cast<std::size_t>(f.k) * f.c * f.r * f.s * element_size(f.dtype); }
long long at(const TensorDesc& t, int n, int c, int h, int w)
{
    return static_cast<long long>(n) * t.ns + static_cast<long long>(c) * t.cs + static_cast<long long>(h) * t.hs + static_cast<long long>(w) * t.ws;
}
long long at(const FilterDesc& f, int k, int c, int r, int s)
{
    return f.format == NHWC ? ((static_cast<long long>(k) * f.r + r) * f.s + s) * f.c + c : ((static_cast<long long>(k) * f.c + c) * f.r + r) * f.s + s;
}

// ---- argument checks ---------------------------------------------------------------------------------------------
template <typename D>
D* get(void* p) { auto* d = static_cast<D*>(p); return d && d->magic == D::kMagic ? d : nullptr; }
TensorDesc* tensor(void* p) { return get<TensorDesc>(p); }
FilterDesc* filter(void* p) { return get<FilterDesc>(p); }
ActivationDesc* activation(void* p) { return get<ActivationDesc>(p); }
PoolingDesc* pooling(void* p) { return get<PoolingDesc>(p); }
ConvDesc* conv(void* p) { return get<ConvDesc>(p); }
Handle* handle(void* p) { return get<Handle>(p); }

// Every descriptor's create and destroy (cudnnCreate*Descriptor / cudnnDestroy*Descriptor): a new one; a live one
// retired (its magic cleared, so a stale pointer is refused, not read) and freed; destroying null does nothing.
template <typename D>
int create_descriptor(const char* api, void** out)
{
    if (!out) return fail(BAD_PARAM, std::string(api) + ": null");
    *out = new D();
    return SUCCESS;
}
template <typename D>
int destroy_descriptor(const char* api, const char* what, void* d)
{
    if (!d) return SUCCESS;
    D* p = get<D>(d);
    if (!p) return fail(BAD_PARAM, std::string(api) + ": not " + what);
    p->magic = 0;
    delete p;
    return SUCCESS;
}

// A tensor descriptor usable by an operation: set, with a storage type the emulator computes with.
int need_tensor(const char* api, const char* name, void* p, TensorDesc*& out)
{
    out = tensor(p);
    if (!out) return fail(BAD_PARAM, std::string(api) + ": " + name + " is not a tensor descriptor");
    if (!out->set) return fail(BAD_PARAM, std::string(api) + ": " + name + " was never set");
    if (!storage_supported(out->dtype))
        return fail(NOT_SUPPORTED_DATA_TYPE, std::string(api) + ": " + name + " has data type " + dtype_name(out->dtype) +
                                                  "; the emulated cuDNN computes with FLOAT, HALF and BFLOAT16 storage only");
    return SUCCESS;
}

int check_ranges(const char* api, const std::vector<cg_emu::DeviceRange>& ranges)
{
    std::string why = cg_emu::check_device_ranges(ranges);
    if (why.empty()) return SUCCESS;
    return fail(BAD_PARAM, std::string(api) + ": " + why);
}

int enqueue(Handle* h, const char* api, std::vector<cg_emu::DeviceRange> ranges, cg_emu::LibraryWork work)
{
    int rc = check_ranges(api, ranges);
    if (rc) return rc;
    std::string what = std::string(api) + " (call #" + std::to_string(++h->calls) + ")";
    int cu = cg_emu::enqueue_library_work(h->stream, what, std::move(ranges), std::move(work));
    if (cu != 0)
        return fail(EXECUTION_FAILED_CUDA_DRIVER, std::string(api) + ": the driver refused to queue the work on the handle's stream (CUresult " +
                                                      std::to_string(cu) + ")");
    return SUCCESS;
}

float scalar(const void* p) { return *static_cast<const float*>(p); }

// ---- convolution geometry -----------------------------------------------------------------------------------------
int conv_output(const char* api, const ConvDesc& cd, const TensorDesc& x, const FilterDesc& w, int out[4])
{
    if (x.c != w.c * cd.groups)
    {
        char b[200];
        std::snprintf(b, sizeof b, "%s: the input has %d channels but the filter has %d per group × %d groups", api, x.c, w.c, cd.groups);
        return fail(BAD_PARAM, b);
    }
    if (w.k % cd.groups != 0)
        return fail(BAD_PARAM, std::string(api) + ": the filter's K=" + std::to_string(w.k) + " is not a multiple of the group count " +
                                   std::to_string(cd.groups));
    int eff_r = (w.r - 1) * cd.dh + 1, eff_s = (w.s - 1) * cd.dw + 1;
    int ph = x.h + 2 * cd.pad_h - eff_r, pw = x.w + 2 * cd.pad_w - eff_s;
    if (ph < 0 || pw < 0)
        return fail(BAD_PARAM, std::string(api) + ": the dilated filter (" + std::to_string(eff_r) + "×" + std::to_string(eff_s) +
                                   ") is larger than the padded input (" + std::to_string(x.h + 2 * cd.pad_h) + "×" + std::to_string(x.w + 2 * cd.pad_w) + ")");
    out[0] = x.n;
    out[1] = w.k;
    out[2] = 1 + ph / cd.u;
    out[3] = 1 + pw / cd.v;
    return SUCCESS;
}

struct ConvProblem
{
    TensorDesc x, y;
    FilterDesc w;
    ConvDesc cd;
};

// Validates x, w, conv, y for a forward convolution (cudnnConvolutionForward's BAD_PARAM and NOT_SUPPORTED rules).
int check_conv(const char* api, void* xd, void* wd, void* cdp, void* yd, ConvProblem& p)
{
    TensorDesc *x, *y;
    int rc;
    if ((rc = need_tensor(api, "xDesc", xd, x)) || (rc = need_tensor(api, "yDesc", yd, y))) return rc;
    FilterDesc* w = filter(wd);
    ConvDesc* cd = conv(cdp);
    if (!w || !w->set) return fail(BAD_PARAM, std::string(api) + ": wDesc is not a set filter descriptor");
    if (!cd || !cd->set) return fail(BAD_PARAM, std::string(api) + ": convDesc is not a set convolution descriptor");
    int out[4];
    if ((rc = conv_output(api, *cd, *x, *w, out))) return rc;
    if (y->n != out[0] || y->c != out[1] || y->h != out[2] || y->w != out[3])
    {
        char b[240];
        std::snprintf(b, sizeof b, "%s: yDesc is %d×%d×%d×%d but the convolution produces %d×%d×%d×%d", api, y->n, y->c, y->h, y->w, out[0], out[1], out[2], out[3]);
        return fail(BAD_PARAM, b);
    }
    if (x->dtype != w->dtype || x->dtype != y->dtype)
        return fail(BAD_PARAM, std::string(api) + ": x, w and y must have one data type (x " + dtype_name(x->dtype) + ", w " + dtype_name(w->dtype) +
                                   ", y " + dtype_name(y->dtype) + ")");
    if (!storage_supported(w->dtype))
        return fail(NOT_SUPPORTED_DATA_TYPE, std::string(api) + ": data type " + dtype_name(w->dtype) + " is not emulated");
    if (cd->compute != DT_FLOAT)
        return fail(NOT_SUPPORTED, std::string(api) + ": compute type " + dtype_name(cd->compute) + " with " + dtype_name(x->dtype) +
                                       " data: the emulated cuDNN supports the FLOAT, PSEUDO_HALF and PSEUDO_BFLOAT16 configurations (compute type FLOAT)");
    // The filter's layout must be the data's: KCRS (NCHW format) with NCHW data, KRSC (NHWC format) with channels-last
    // data (cudnnConvolutionForward's supported configurations). With C = 1 or H·W = 1 both layouts are one.
    if (x->c > 1 && x->h * x->w > 1)
    {
        bool channels_last = x->cs < x->ws;
        if (w->format == NHWC && !channels_last)
            return fail(NOT_SUPPORTED_LAYOUT, std::string(api) + ": the filter is KRSC (NHWC format) but x is not channels-last (" + dims(*x) + ")");
        if (w->format == NCHW && channels_last)
            return fail(NOT_SUPPORTED_LAYOUT, std::string(api) + ": the filter is KCRS (NCHW format) but x is channels-last (" + dims(*x) +
                                                  "); NHWC data takes a KRSC (NHWC format) filter");
    }
    if (w->format == NCHW_VECT_C) return fail(NOT_SUPPORTED_LAYOUT, std::string(api) + ": NCHW_VECT_C filters are not emulated");
    p.x = *x;
    p.y = *y;
    p.w = *w;
    p.cd = *cd;
    return SUCCESS;
}

bool uses_tf32(const ConvProblem& p) { return p.x.dtype == DT_FLOAT && p.cd.math != FMA_MATH; }

// Workspace each emulated algorithm asks for (what a GEMM lowering would need); NOT_SUPPORTED for the others.
int workspace_for(const ConvProblem& p, int algo, std::size_t& bytes, std::string& why)
{
    std::size_t crs = static_cast<std::size_t>(p.w.c) * p.w.r * p.w.s;
    switch (algo)
    {
    case IMPLICIT_GEMM: bytes = 0; return SUCCESS;
    case IMPLICIT_PRECOMP_GEMM: bytes = (crs + 1) * sizeof(int) * 2; return SUCCESS; // precomputed offsets
    case GEMM: bytes = crs * p.y.h * p.y.w * p.cd.groups * element_size(p.x.dtype); return SUCCESS; // im2col of one image
    default:
        why = std::string("algorithm ") + algo_name(algo) + " is not emulated (IMPLICIT_GEMM, IMPLICIT_PRECOMP_GEMM and GEMM are)";
        if (algo < 0 || algo >= ALGO_COUNT) { why = "invalid algorithm " + std::to_string(algo); return BAD_PARAM; }
        return NOT_SUPPORTED;
    }
}

// act(alpha1·conv(x) + alpha2·z + bias) or alpha·conv(x) + beta·y. Fixed order: for each output element (n, k, p, q) in
// memory order of the loops n, k, p, q, the sum over c (of the group), r, s in that order, in double, of the FP32 (or
// TF32-rounded) products; then rounded to float; then the epilogue in float.
struct Epilogue
{
    bool fused = false;
    float alpha = 1, beta = 0; // plain: alpha·conv + beta·y
    float alpha2 = 0;          // fused: alpha1 (= alpha)·conv + alpha2·z + bias, then act
    TensorDesc z, bias;
    std::uint64_t zp = 0, bp = 0;
    int act = IDENTITY;
    double coef = 0;
};

float apply_activation(int mode, double coef, float v)
{
    switch (mode)
    {
    case SIGMOID: return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
    case RELU: return v > 0 ? v : (std::isnan(v) ? v : 0.0f);
    case TANH: return static_cast<float>(std::tanh(static_cast<double>(v)));
    case CLIPPED_RELU: return std::isnan(v) ? v : std::min(std::max(v, 0.0f), static_cast<float>(coef));
    case ELU: return v >= 0 ? v : static_cast<float>(coef * std::expm1(static_cast<double>(v)));
    case SWISH: return static_cast<float>(v / (1.0 + std::exp(-coef * v)));
    default: return v;
    }
}

std::string run_conv(const ConvProblem& p, std::uint64_t xp, std::uint64_t wp, std::uint64_t yp, const Epilogue& e)
{
    const TensorDesc &x = p.x, &y = p.y;
    const FilterDesc& w = p.w;
    const ConvDesc& cd = p.cd;
    const bool tf32 = uses_tf32(p);
    const int kpg = w.k / cd.groups;
    // The operands are read once into FP32 (TF32-rounded where the math is TF32), x as NHWC and the filter as KRSC
    // with a CONVOLUTION's flip applied, so the sum over one group's channels runs over adjacent values. Each
    // product is exact in double and the sum is kept in double: the order of the terms moves only its last bits.
    auto operand = [tf32](int dtype, std::uint64_t base, long long index) {
        const float v = load(dtype, base, index);
        return tf32 ? to_tf32(v) : v;
    };
    const std::size_t xc = static_cast<std::size_t>(x.c);
    std::vector<float> xs(static_cast<std::size_t>(x.n) * x.h * x.w * xc);
    for (int n = 0; n < x.n; n++)
        for (int ih = 0; ih < x.h; ih++)
            for (int iw = 0; iw < x.w; iw++)
                for (int c = 0; c < x.c; c++)
                    xs[((static_cast<std::size_t>(n) * x.h + ih) * x.w + iw) * xc + c] = operand(x.dtype, xp, at(x, n, c, ih, iw));
    const std::size_t wc = static_cast<std::size_t>(w.c);
    std::vector<float> ws(static_cast<std::size_t>(w.k) * w.r * w.s * wc);
    for (int k = 0; k < w.k; k++)
        for (int r = 0; r < w.r; r++)
            for (int s = 0; s < w.s; s++)
            {
                const int fr = cd.mode == CONVOLUTION ? w.r - 1 - r : r;
                const int fs = cd.mode == CONVOLUTION ? w.s - 1 - s : s;
                for (int c = 0; c < w.c; c++)
                    ws[((static_cast<std::size_t>(k) * w.r + r) * w.s + s) * wc + c] = operand(w.dtype, wp, at(w, k, c, fr, fs));
            }
    std::vector<float> out(static_cast<std::size_t>(y.n) * y.c * y.h * y.w);
    std::size_t o = 0;
    for (int n = 0; n < y.n; n++)
        for (int k = 0; k < y.c; k++)
        {
            const int g = k / kpg;
            for (int oh = 0; oh < y.h; oh++)
                for (int ow = 0; ow < y.w; ow++)
                {
                    double acc = 0;
                    for (int r = 0; r < w.r; r++)
                    {
                        const int ih = oh * cd.u - cd.pad_h + r * cd.dh;
                        if (ih < 0 || ih >= x.h) continue;
                        for (int s = 0; s < w.s; s++)
                        {
                            const int iw = ow * cd.v - cd.pad_w + s * cd.dw;
                            if (iw < 0 || iw >= x.w) continue;
                            const float* a = &xs[((static_cast<std::size_t>(n) * x.h + ih) * x.w + iw) * xc + static_cast<std::size_t>(g) * wc];
                            const float* b = &ws[((static_cast<std::size_t>(k) * w.r + r) * w.s + s) * wc];
                            for (std::size_t c = 0; c < wc; c++)
                                acc += static_cast<double>(a[c]) * static_cast<double>(b[c]);
                        }
                    }
                    out[o++] = static_cast<float>(acc);
                }
        }
    o = 0;
    for (int n = 0; n < y.n; n++)
        for (int k = 0; k < y.c; k++)
            for (int oh = 0; oh < y.h; oh++)
                for (int ow = 0; ow < y.w; ow++)
                {
                    long long yi = at(y, n, k, oh, ow);
                    float v = out[o++];
                    if (!e.fused)
                    {
                        v = e.alpha * v;
                        if (e.beta != 0) v = v + e.beta * load(y.dtype, yp, yi); // beta 0: y is not read (may hold NaN)
                    }
                    else
                    {
                        v = e.alpha * v;
                        if (e.alpha2 != 0) v = v + e.alpha2 * load(e.z.dtype, e.zp, at(e.z, n, k, oh, ow));
                        v = v + load(e.bias.dtype, e.bp, at(e.bias, 0, k, 0, 0));
                        v = apply_activation(e.act, e.coef, v);
                    }
                    store(y.dtype, yp, yi, v);
                }
    return "";
}
} // namespace

// =================================================================================================================
// Version, properties, errors (cudnn_graph.h)
// =================================================================================================================
CG_API std::size_t cudnnGetVersion() { return 90600; }
CG_API std::size_t cudnnGetCudartVersion() { return 12060; }
CG_API int cudnnGetProperty(int type, int* value)
{
    if (!value) return fail(BAD_PARAM, "cudnnGetProperty: value is null");
    switch (type)
    {
    case 0: *value = 9; return SUCCESS; // MAJOR_VERSION
    case 1: *value = 6; return SUCCESS; // MINOR_VERSION
    case 2: *value = 0; return SUCCESS; // PATCH_LEVEL
    default: return fail(BAD_PARAM, "cudnnGetProperty: unknown libraryPropertyType_t " + std::to_string(type));
    }
}
CG_API const char* cudnnGetErrorString(int status)
{
    switch (status)
    {
    case 0: return "CUDNN_STATUS_SUCCESS";
    case 1001: return "CUDNN_STATUS_NOT_INITIALIZED";
    case 2000: return "CUDNN_STATUS_BAD_PARAM";
    case 2002: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
    case 2006: return "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
    case 2008: return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
    case 3000: return "CUDNN_STATUS_NOT_SUPPORTED";
    case 3003: return "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
    case 3004: return "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
    case 4000: return "CUDNN_STATUS_INTERNAL_ERROR";
    case 5000: return "CUDNN_STATUS_EXECUTION_FAILED";
    case 5001: return "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER";
    default: return "CUDNN_STATUS_UNKNOWN";
    }
}
CG_API void cudnnGetLastErrorString(char* message, std::size_t max_size)
{
    if (!message || max_size == 0) return;
    std::size_t n = std::min(max_size - 1, t_last_error.size());
    std::memcpy(message, t_last_error.data(), n);
    message[n] = 0;
}

// =================================================================================================================
// Handle
// =================================================================================================================
CG_API int cudnnCreate(void** out)
{
    if (!out) return fail(BAD_PARAM, "cudnnCreate: handle is null");
    *out = new Handle();
    return SUCCESS;
}
CG_API int cudnnDestroy(void* h)
{
    Handle* p = handle(h);
    if (!p) return fail(BAD_PARAM, "cudnnDestroy: not a cuDNN handle");
    p->magic = 0;
    delete p;
    return SUCCESS;
}
CG_API int cudnnSetStream(void* h, void* stream)
{
    Handle* p = handle(h);
    if (!p) return fail(BAD_PARAM, "cudnnSetStream: not a cuDNN handle");
    p->stream = stream;
    return SUCCESS;
}

// =================================================================================================================
// Tensors
// =================================================================================================================
CG_API int cudnnCreateTensorDescriptor(void** out) { return create_descriptor<TensorDesc>("cudnnCreateTensorDescriptor", out); }
CG_API int cudnnDestroyTensorDescriptor(void* d)
{
    return destroy_descriptor<TensorDesc>("cudnnDestroyTensorDescriptor", "a tensor descriptor", d);
}
static int set_tensor(const char* api, TensorDesc* t, int dtype, int format, int n, int c, int h, int w, int ns, int cs, int hs, int ws)
{
    if (!t) return fail(BAD_PARAM, std::string(api) + ": not a tensor descriptor");
    if (element_size(dtype) == 0) return fail(BAD_PARAM, std::string(api) + ": invalid data type " + std::to_string(dtype));
    if (n <= 0 || c <= 0 || h <= 0 || w <= 0)
        return fail(BAD_PARAM, std::string(api) + ": dimensions must be positive (" + std::to_string(n) + "×" + std::to_string(c) + "×" +
                                   std::to_string(h) + "×" + std::to_string(w) + ")");
    if (ns <= 0 || cs <= 0 || hs <= 0 || ws <= 0)
        return fail(BAD_PARAM, std::string(api) + ": strides must be positive");
    long long total = static_cast<long long>(n) * c * h * w;
    if (total > (1LL << 31) - 1) return fail(BAD_PARAM, std::string(api) + ": more than 2^31-1 elements");
    t->set = true;
    t->dtype = dtype;
    t->format = format;
    t->n = n, t->c = c, t->h = h, t->w = w;
    t->ns = ns, t->cs = cs, t->hs = hs, t->ws = ws;
    return SUCCESS;
}
CG_API int cudnnSetTensor4dDescriptor(void* d, int format, int dtype, int n, int c, int h, int w)
{
    const char* api = "cudnnSetTensor4dDescriptor";
    if ((format == NCHW || format == NHWC) && n > 0 && c > 0 && h > 0 && w > 0 && static_cast<long long>(n) * c * h * w > (1LL << 31) - 1)
        return fail(BAD_PARAM, std::string(api) + ": more than 2^31-1 elements");
    if (format == NCHW) return set_tensor(api, tensor(d), dtype, format, n, c, h, w, c * h * w, h * w, w, 1);
    if (format == NHWC) return set_tensor(api, tensor(d), dtype, format, n, c, h, w, h * w * c, 1, w * c, c);
    if (format == NCHW_VECT_C)
        return fail(dtype == DT_INT8x4 || dtype == DT_UINT8x4 || dtype == DT_INT8x32 ? NOT_SUPPORTED : BAD_PARAM,
                    std::string(api) + ": NCHW_VECT_C needs a vectorized data type (INT8x4, UINT8x4, INT8x32), not " + dtype_name(dtype));
    return fail(BAD_PARAM, std::string(api) + ": invalid format " + std::to_string(format));
}
CG_API int cudnnSetTensor4dDescriptorEx(void* d, int dtype, int n, int c, int h, int w, int ns, int cs, int hs, int ws)
{
    return set_tensor("cudnnSetTensor4dDescriptorEx", tensor(d), dtype, STRIDED, n, c, h, w, ns, cs, hs, ws);
}
CG_API int cudnnGetTensorSizeInBytes(void* d, std::size_t* size)
{
    TensorDesc* t = tensor(d);
    if (!t || !size) return fail(BAD_PARAM, "cudnnGetTensorSizeInBytes: null argument");
    if (!t->set) return fail(BAD_PARAM, "cudnnGetTensorSizeInBytes: the descriptor was never set");
    *size = extent(*t);
    return SUCCESS;
}

// y = alpha·x + beta·y over equal dimensions, any strides. Order: elements one after another, n, c, h, w.
CG_API int cudnnTransformTensor(void* hp, const void* alpha, void* xd, std::uint64_t x, const void* beta, void* yd, std::uint64_t y)
{
    const char* api = "cudnnTransformTensor";
    Handle* h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    TensorDesc *xt, *yt;
    int rc;
    if ((rc = need_tensor(api, "xDesc", xd, xt)) || (rc = need_tensor(api, "yDesc", yd, yt))) return rc;
    if (!alpha || !beta) return fail(BAD_PARAM, std::string(api) + ": alpha or beta is null");
    if (xt->n != yt->n || xt->c != yt->c || xt->h != yt->h || xt->w != yt->w)
        return fail(BAD_PARAM, std::string(api) + ": dimensions differ (" + dims(*xt) + " vs " + dims(*yt) + ")");
    TensorDesc X = *xt, Y = *yt;
    float a = scalar(alpha), b = scalar(beta);
    return enqueue(h, api, {{x, extent(X), "cudnnTransformTensor x"}, {y, extent(Y), "cudnnTransformTensor y"}}, [=]() -> std::string {
        for (int n = 0; n < Y.n; n++)
            for (int c = 0; c < Y.c; c++)
                for (int hh = 0; hh < Y.h; hh++)
                    for (int w = 0; w < Y.w; w++)
                    {
                        float v = a * load(X.dtype, x, at(X, n, c, hh, w));
                        if (b != 0) v = v + b * load(Y.dtype, y, at(Y, n, c, hh, w));
                        store(Y.dtype, y, at(Y, n, c, hh, w), v);
                    }
        return "";
    });
}

// C = alpha·A + beta·C; each dimension of A equals C's or is 1 (broadcast).
CG_API int cudnnAddTensor(void* hp, const void* alpha, void* ad, std::uint64_t A, const void* beta, void* cdp, std::uint64_t C)
{
    const char* api = "cudnnAddTensor";
    Handle* h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    TensorDesc *at_, *ct;
    int rc;
    if ((rc = need_tensor(api, "aDesc", ad, at_)) || (rc = need_tensor(api, "cDesc", cdp, ct))) return rc;
    if (!alpha || !beta) return fail(BAD_PARAM, std::string(api) + ": alpha or beta is null");
    int ad4[4] = {at_->n, at_->c, at_->h, at_->w}, cd4[4] = {ct->n, ct->c, ct->h, ct->w};
    for (int i = 0; i < 4; i++)
        if (ad4[i] != cd4[i] && ad4[i] != 1)
            return fail(BAD_PARAM, std::string(api) + ": each dimension of A must equal C's or be 1 (A " + dims(*at_) + ", C " + dims(*ct) + ")");
    if (at_->dtype != ct->dtype) return fail(BAD_PARAM, std::string(api) + ": A and C have different data types");
    TensorDesc Ad = *at_, Cd = *ct;
    float a = scalar(alpha), b = scalar(beta);
    return enqueue(h, api, {{A, extent(Ad), "cudnnAddTensor A"}, {C, extent(Cd), "cudnnAddTensor C"}}, [=]() -> std::string {
        for (int n = 0; n < Cd.n; n++)
            for (int c = 0; c < Cd.c; c++)
                for (int hh = 0; hh < Cd.h; hh++)
                    for (int w = 0; w < Cd.w; w++)
                    {
                        float av = load(Ad.dtype, A, at(Ad, Ad.n == 1 ? 0 : n, Ad.c == 1 ? 0 : c, Ad.h == 1 ? 0 : hh, Ad.w == 1 ? 0 : w));
                        long long ci = at(Cd, n, c, hh, w);
                        float v = a * av;
                        if (b != 0) v = v + b * load(Cd.dtype, C, ci);
                        store(Cd.dtype, C, ci, v);
                    }
        return "";
    });
}

// =================================================================================================================
// Filters
// =================================================================================================================
CG_API int cudnnCreateFilterDescriptor(void** out) { return create_descriptor<FilterDesc>("cudnnCreateFilterDescriptor", out); }
CG_API int cudnnDestroyFilterDescriptor(void* d)
{
    return destroy_descriptor<FilterDesc>("cudnnDestroyFilterDescriptor", "a filter descriptor", d);
}
CG_API int cudnnSetFilter4dDescriptor(void* d, int dtype, int format, int k, int c, int h, int w)
{
    const char* api = "cudnnSetFilter4dDescriptor";
    FilterDesc* f = filter(d);
    if (!f) return fail(BAD_PARAM, std::string(api) + ": not a filter descriptor");
    if (element_size(dtype) == 0) return fail(BAD_PARAM, std::string(api) + ": invalid data type " + std::to_string(dtype));
    if (format == NCHW_VECT_C && !(dtype == DT_INT8x4 || dtype == DT_UINT8x4 || dtype == DT_INT8x32))
        return fail(BAD_PARAM, std::string(api) + ": NCHW_VECT_C needs a vectorized data type (INT8x4, UINT8x4, INT8x32), not " + dtype_name(dtype));
    if (format != NCHW && format != NHWC && format != NCHW_VECT_C) return fail(BAD_PARAM, std::string(api) + ": invalid format " + std::to_string(format));
    if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return fail(BAD_PARAM, std::string(api) + ": dimensions must be positive");
    f->set = true;
    f->dtype = dtype;
    f->format = format;
    f->k = k, f->c = c, f->r = h, f->s = w;
    return SUCCESS;
}

// =================================================================================================================
// Activation
// =================================================================================================================
CG_API int cudnnCreateActivationDescriptor(void** out) { return create_descriptor<ActivationDesc>("cudnnCreateActivationDescriptor", out); }
CG_API int cudnnDestroyActivationDescriptor(void* d)
{
    return destroy_descriptor<ActivationDesc>("cudnnDestroyActivationDescriptor", "an activation descriptor", d);
}
CG_API int cudnnSetActivationDescriptor(void* d, int mode, int nan, double coef)
{
    ActivationDesc* a = activation(d);
    if (!a) return fail(BAD_PARAM, "cudnnSetActivationDescriptor: not an activation descriptor");
    if (mode < SIGMOID || mode > SWISH) return fail(BAD_PARAM, "cudnnSetActivationDescriptor: invalid mode " + std::to_string(mode));
    if (nan != 0 && nan != 1) return fail(BAD_PARAM, "cudnnSetActivationDescriptor: invalid NaN propagation " + std::to_string(nan));
    a->set = true;
    a->mode = mode, a->nan = nan, a->coef = coef;
    return SUCCESS;
}
// y = alpha·act(x) + beta·y. IDENTITY is refused here (documented: only for cudnnConvolutionBiasActivationForward).
CG_API int cudnnActivationForward(void* hp, void* ad, const void* alpha, void* xd, std::uint64_t x, const void* beta, void* yd, std::uint64_t y)
{
    const char* api = "cudnnActivationForward";
    Handle* h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    ActivationDesc* a = activation(ad);
    if (!a || !a->set) return fail(BAD_PARAM, std::string(api) + ": activationDesc is not a set activation descriptor");
    if (a->mode == IDENTITY)
        return fail(BAD_PARAM, std::string(api) + ": CUDNN_ACTIVATION_IDENTITY works only with cudnnConvolutionBiasActivationForward");
    TensorDesc *xt, *yt;
    int rc;
    if ((rc = need_tensor(api, "xDesc", xd, xt)) || (rc = need_tensor(api, "yDesc", yd, yt))) return rc;
    if (!alpha || !beta) return fail(BAD_PARAM, std::string(api) + ": alpha or beta is null");
    if (xt->n != yt->n || xt->c != yt->c || xt->h != yt->h || xt->w != yt->w || xt->dtype != yt->dtype)
        return fail(BAD_PARAM, std::string(api) + ": x and y differ (" + dims(*xt) + " vs " + dims(*yt) + ")");
    if (x == y && (xt->ns != yt->ns || xt->cs != yt->cs || xt->hs != yt->hs || xt->ws != yt->ws))
        return fail(BAD_PARAM, std::string(api) + ": in place (x == y) needs equal strides");
    TensorDesc X = *xt, Y = *yt;
    int mode = a->mode;
    double coef = a->coef;
    float al = scalar(alpha), b = scalar(beta);
    return enqueue(h, api, {{x, extent(X), "cudnnActivationForward x"}, {y, extent(Y), "cudnnActivationForward y"}}, [=]() -> std::string {
        for (int n = 0; n < Y.n; n++)
            for (int c = 0; c < Y.c; c++)
                for (int hh = 0; hh < Y.h; hh++)
                    for (int w = 0; w < Y.w; w++)
                    {
                        float v = al * apply_activation(mode, coef, load(X.dtype, x, at(X, n, c, hh, w)));
                        long long yi = at(Y, n, c, hh, w);
                        if (b != 0) v = v + b * load(Y.dtype, y, yi);
                        store(Y.dtype, y, yi, v);
                    }
        return "";
    });
}

// =================================================================================================================
// Pooling
// =================================================================================================================
CG_API int cudnnCreatePoolingDescriptor(void** out) { return create_descriptor<PoolingDesc>("cudnnCreatePoolingDescriptor", out); }
CG_API int cudnnDestroyPoolingDescriptor(void* d)
{
    return destroy_descriptor<PoolingDesc>("cudnnDestroyPoolingDescriptor", "a pooling descriptor", d);
}
CG_API int cudnnSetPooling2dDescriptor(void* d, int mode, int nan, int wh, int ww, int ph, int pw, int sh, int sw)
{
    const char* api = "cudnnSetPooling2dDescriptor";
    PoolingDesc* p = pooling(d);
    if (!p) return fail(BAD_PARAM, std::string(api) + ": not a pooling descriptor");
    if (mode < POOL_MAX || mode > POOL_MAX_DETERMINISTIC) return fail(BAD_PARAM, std::string(api) + ": invalid mode " + std::to_string(mode));
    if (nan != 0 && nan != 1) return fail(BAD_PARAM, std::string(api) + ": invalid NaN propagation");
    if (wh <= 0 || ww <= 0 || sh <= 0 || sw <= 0 || ph < 0 || pw < 0)
        return fail(BAD_PARAM, std::string(api) + ": window and stride must be positive, padding non-negative");
    p->set = true;
    p->mode = mode, p->nan = nan, p->wh = wh, p->ww = ww, p->ph = ph, p->pw = pw, p->sh = sh, p->sw = sw;
    return SUCCESS;
}
CG_API int cudnnGetPooling2dForwardOutputDim(void* d, void* xd, int* n, int* c, int* h, int* w)
{
    const char* api = "cudnnGetPooling2dForwardOutputDim";
    PoolingDesc* p = pooling(d);
    TensorDesc* x = tensor(xd);
    if (!p || !p->set || !x || !x->set || !n || !c || !h || !w) return fail(BAD_PARAM, std::string(api) + ": invalid argument");
    int oh = 1 + (x->h + 2 * p->ph - p->wh) / p->sh, ow = 1 + (x->w + 2 * p->pw - p->ww) / p->sw;
    if (x->h + 2 * p->ph < p->wh || x->w + 2 * p->pw < p->ww || oh <= 0 || ow <= 0)
        return fail(BAD_PARAM, std::string(api) + ": the window is larger than the padded input");
    *n = x->n, *c = x->c, *h = oh, *w = ow;
    return SUCCESS;
}
CG_API int cudnnPoolingForward(void* hp, void* pd, const void* alpha, void* xd, std::uint64_t x, const void* beta, void* yd, std::uint64_t y)
{
    const char* api = "cudnnPoolingForward";
    Handle* h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    PoolingDesc* p = pooling(pd);
    if (!p || !p->set) return fail(BAD_PARAM, std::string(api) + ": poolingDesc is not a set pooling descriptor");
    TensorDesc *xt, *yt;
    int rc;
    if ((rc = need_tensor(api, "xDesc", xd, xt)) || (rc = need_tensor(api, "yDesc", yd, yt))) return rc;
    if (!alpha || !beta) return fail(BAD_PARAM, std::string(api) + ": alpha or beta is null");
    int on, oc, oh, ow;
    if ((rc = cudnnGetPooling2dForwardOutputDim(pd, xd, &on, &oc, &oh, &ow))) return rc;
    if (yt->n != on || yt->c != oc || yt->h != oh || yt->w != ow || yt->dtype != xt->dtype)
        return fail(BAD_PARAM, std::string(api) + ": yDesc (" + dims(*yt) + ") is not the pooling output " + std::to_string(on) + "×" +
                                   std::to_string(oc) + "×" + std::to_string(oh) + "×" + std::to_string(ow));
    TensorDesc X = *xt, Y = *yt;
    PoolingDesc P = *p;
    float a = scalar(alpha), b = scalar(beta);
    return enqueue(h, api, {{x, extent(X), "cudnnPoolingForward x"}, {y, extent(Y), "cudnnPoolingForward y"}}, [=]() -> std::string {
        for (int n = 0; n < Y.n; n++)
            for (int c = 0; c < Y.c; c++)
                for (int i = 0; i < Y.h; i++)
                    for (int j = 0; j < Y.w; j++)
                    {
                        bool is_max = P.mode == POOL_MAX || P.mode == POOL_MAX_DETERMINISTIC;
                        float m = -INFINITY;
                        bool nan = false;
                        double sum = 0;
                        int count = 0;
                        for (int r = 0; r < P.wh; r++)
                            for (int s = 0; s < P.ww; s++)
                            {
                                int ih = i * P.sh - P.ph + r, iw = j * P.sw - P.pw + s;
                                if (ih < 0 || ih >= X.h || iw < 0 || iw >= X.w) continue; // padding: excluded from max and from the sum
                                float v = load(X.dtype, x, at(X, n, c, ih, iw));
                                if (std::isnan(v)) nan = true;
                                if (v > m) m = v;
                                sum += v;
                                count++;
                            }
                        float v;
                        if (is_max) v = nan && P.nan == 1 ? NAN : m;
                        else
                        {
                            int divisor = P.mode == POOL_AVG_INCLUDE ? P.wh * P.ww : count;
                            v = divisor ? static_cast<float>(sum / divisor) : 0.0f;
                        }
                        v = a * v;
                        long long yi = at(Y, n, c, i, j);
                        if (b != 0) v = v + b * load(Y.dtype, y, yi);
                        store(Y.dtype, y, yi, v);
                    }
        return "";
    });
}

// =================================================================================================================
// Softmax: INSTANCE over C·H·W per n, CHANNEL over C per (n, h, w). FAST: exp(x)/Σ; ACCURATE: exp(x−max)/Σ; LOG: x−max−log Σ.
// =================================================================================================================
CG_API int cudnnSoftmaxForward(void* hp, int algo, int mode, const void* alpha, void* xd, std::uint64_t x, const void* beta, void* yd, std::uint64_t y)
{
    const char* api = "cudnnSoftmaxForward";
    Handle* h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    if (algo < SOFTMAX_FAST || algo > SOFTMAX_LOG || (mode != SOFTMAX_INSTANCE && mode != SOFTMAX_CHANNEL))
        return fail(BAD_PARAM, std::string(api) + ": invalid algorithm or mode");
    TensorDesc *xt, *yt;
    int rc;
    if ((rc = need_tensor(api, "xDesc", xd, xt)) || (rc = need_tensor(api, "yDesc", yd, yt))) return rc;
    if (!alpha || !beta) return fail(BAD_PARAM, std::string(api) + ": alpha or beta is null");
    if (xt->n != yt->n || xt->c != yt->c || xt->h != yt->h || xt->w != yt->w || xt->dtype != yt->dtype)
        return fail(BAD_PARAM, std::string(api) + ": x and y differ (" + dims(*xt) + " vs " + dims(*yt) + ")");
    TensorDesc X = *xt, Y = *yt;
    float a = scalar(alpha), b = scalar(beta);
    return enqueue(h, api, {{x, extent(X), "cudnnSoftmaxForward x"}, {y, extent(Y), "cudnnSoftmaxForward y"}}, [=]() -> std::string {
        auto group = [&](int n, int hh0, int hh1, int w0, int w1) {
            std::vector<long long> xi, yi;
            for (int c = 0; c < X.c; c++)
                for (int hh = hh0; hh < hh1; hh++)
                    for (int w = w0; w < w1; w++)
                        xi.push_back(at(X, n, c, hh, w)), yi.push_back(at(Y, n, c, hh, w));
            std::vector<float> v(xi.size());
            float m = -INFINITY;
            for (std::size_t i = 0; i < v.size(); i++) v[i] = load(X.dtype, x, xi[i]), m = std::max(m, v[i]);
            double sum = 0;
            double shift = algo == SOFTMAX_FAST ? 0.0 : m;
            for (float f : v) sum += std::exp(static_cast<double>(f) - shift);
            for (std::size_t i = 0; i < v.size(); i++)
            {
                double e = static_cast<double>(v[i]) - shift;
                float r = algo == SOFTMAX_LOG ? static_cast<float>(e - std::log(sum)) : static_cast<float>(std::exp(e) / sum);
                r = a * r;
                if (b != 0) r = r + b * load(Y.dtype, y, yi[i]);
                store(Y.dtype, y, yi[i], r);
            }
        };
        for (int n = 0; n < X.n; n++)
        {
            if (mode == SOFTMAX_INSTANCE) group(n, 0, X.h, 0, X.w);
            else
                for (int hh = 0; hh < X.h; hh++)
                    for (int w = 0; w < X.w; w++) group(n, hh, hh + 1, w, w + 1);
        }
        return "";
    });
}

// =================================================================================================================
// Convolution descriptors
// =================================================================================================================
CG_API int cudnnCreateConvolutionDescriptor(void** out) { return create_descriptor<ConvDesc>("cudnnCreateConvolutionDescriptor", out); }
CG_API int cudnnDestroyConvolutionDescriptor(void* d)
{
    return destroy_descriptor<ConvDesc>("cudnnDestroyConvolutionDescriptor", "a convolution descriptor", d);
}
CG_API int cudnnSetConvolution2dDescriptor(void* d, int pad_h, int pad_w, int u, int v, int dh, int dw, int mode, int compute)
{
    const char* api = "cudnnSetConvolution2dDescriptor";
    ConvDesc* c = conv(d);
    if (!c) return fail(BAD_PARAM, std::string(api) + ": not a convolution descriptor");
    if (pad_h < 0 || pad_w < 0) return fail(BAD_PARAM, std::string(api) + ": padding must be non-negative");
    if (u <= 0 || v <= 0) return fail(BAD_PARAM, std::string(api) + ": strides must be positive");
    if (dh <= 0 || dw <= 0) return fail(BAD_PARAM, std::string(api) + ": dilations must be positive");
    if (mode != CONVOLUTION && mode != CROSS_CORRELATION) return fail(BAD_PARAM, std::string(api) + ": invalid mode " + std::to_string(mode));
    if (element_size(compute) == 0) return fail(BAD_PARAM, std::string(api) + ": invalid compute type " + std::to_string(compute));
    c->set = true;
    c->pad_h = pad_h, c->pad_w = pad_w, c->u = u, c->v = v, c->dh = dh, c->dw = dw, c->mode = mode, c->compute = compute;
    return SUCCESS;
}
CG_API int cudnnSetConvolutionGroupCount(void* d, int groups)
{
    ConvDesc* c = conv(d);
    if (!c) return fail(BAD_PARAM, "cudnnSetConvolutionGroupCount: not a convolution descriptor");
    if (groups <= 0) return fail(BAD_PARAM, "cudnnSetConvolutionGroupCount: the group count must be positive");
    c->groups = groups;
    return SUCCESS;
}
CG_API int cudnnSetConvolutionMathType(void* d, int math)
{
    ConvDesc* c = conv(d);
    if (!c) return fail(BAD_PARAM, "cudnnSetConvolutionMathType: not a convolution descriptor");
    if (math < DEFAULT_MATH || math > FMA_MATH) return fail(BAD_PARAM, "cudnnSetConvolutionMathType: invalid math type " + std::to_string(math));
    c->math = math;
    return SUCCESS;
}
CG_API int cudnnGetConvolution2dForwardOutputDim(void* d, void* xd, void* wd, int* n, int* c, int* h, int* w)
{
    const char* api = "cudnnGetConvolution2dForwardOutputDim";
    ConvDesc* cd = conv(d);
    TensorDesc* x = tensor(xd);
    FilterDesc* f = filter(wd);
    if (!cd || !cd->set || !x || !x->set || !f || !f->set || !n || !c || !h || !w) return fail(BAD_PARAM, std::string(api) + ": invalid argument");
    int out[4], rc;
    if ((rc = conv_output(api, *cd, *x, *f, out))) return rc;
    *n = out[0], *c = out[1], *h = out[2], *w = out[3];
    return SUCCESS;
}

// =================================================================================================================
// Algorithms: the emulated ones, in a fixed order, with the descriptor's math type; the others NOT_SUPPORTED.
// =================================================================================================================
CG_API int cudnnGetConvolutionForwardAlgorithmMaxCount(void* hp, int* count)
{
    if (!handle(hp) || !count) return fail(BAD_PARAM, "cudnnGetConvolutionForwardAlgorithmMaxCount: invalid argument");
    *count = ALGO_COUNT;
    return SUCCESS;
}

namespace
{
const int kOrder[ALGO_COUNT] = {IMPLICIT_PRECOMP_GEMM, IMPLICIT_GEMM, GEMM, DIRECT, FFT, FFT_TILING, WINOGRAD, WINOGRAD_NONFUSED};

AlgoPerf perf_of(const ConvProblem& p, int algo)
{
    AlgoPerf r{};
    r.algo = algo;
    std::size_t bytes = 0;
    std::string why;
    r.status = workspace_for(p, algo, bytes, why);
    r.memory = r.status == SUCCESS ? bytes : 0;
    r.time = -1.0f; // the heuristic measures nothing (a real get_v7 reports −1 too); FindEx fills in its times
    r.determinism = 1;
    r.mathType = p.cd.math;
    return r;
}
} // namespace

CG_API int cudnnGetConvolutionForwardAlgorithm_v7(void* hp, void* xd, void* wd, void* cdp, void* yd, int requested, int* returned, AlgoPerf* results)
{
    const char* api = "cudnnGetConvolutionForwardAlgorithm_v7";
    if (!handle(hp)) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    if (!returned || !results || requested <= 0) return fail(BAD_PARAM, std::string(api) + ": requestedAlgoCount must be positive, pointers non-null");
    ConvProblem p;
    int rc;
    if ((rc = check_conv(api, xd, wd, cdp, yd, p))) return rc;
    int n = std::min(requested, static_cast<int>(ALGO_COUNT));
    for (int i = 0; i < n; i++) results[i] = perf_of(p, kOrder[i]);
    *returned = n;
    return SUCCESS;
}

CG_API int cudnnGetConvolutionForwardWorkspaceSize(void* hp, void* xd, void* wd, void* cdp, void* yd, int algo, std::size_t* size)
{
    const char* api = "cudnnGetConvolutionForwardWorkspaceSize";
    if (!handle(hp)) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    if (!size) return fail(BAD_PARAM, std::string(api) + ": sizeInBytes is null");
    ConvProblem p;
    int rc;
    if ((rc = check_conv(api, xd, wd, cdp, yd, p))) return rc;
    std::string why;
    if ((rc = workspace_for(p, algo, *size, why))) return fail(rc, std::string(api) + ": " + why);
    return SUCCESS;
}

namespace
{
// The checks common to cudnnConvolutionForward and cudnnConvolutionBiasActivationForward up to the workspace.
int prepare_forward(const char* api, Handle*& h, void* hp, void* xd, std::uint64_t x, void* wd, std::uint64_t w, void* cdp, int algo,
                    std::uint64_t ws, std::size_t ws_bytes, void* yd, std::uint64_t y, ConvProblem& p, std::vector<cg_emu::DeviceRange>& ranges)
{
    h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    int rc;
    if ((rc = check_conv(api, xd, wd, cdp, yd, p))) return rc;
    std::size_t need = 0;
    std::string why;
    if ((rc = workspace_for(p, algo, need, why))) return fail(rc, std::string(api) + ": " + why);
    if (ws_bytes < need)
        return fail(BAD_PARAM, std::string(api) + ": workSpaceSizeInBytes " + std::to_string(ws_bytes) + " is less than the " + std::to_string(need) +
                                   " bytes cudnnGetConvolutionForwardWorkspaceSize gives for " + algo_name(algo));
    if (need > 0 && ws == 0) return fail(BAD_PARAM, std::string(api) + ": workSpace is null but " + algo_name(algo) + " needs " + std::to_string(need) + " bytes");
    if (!x || !w || !y) return fail(BAD_PARAM, std::string(api) + ": x, w and y must not be null");
    const bool fused = std::strcmp(api, "cudnnConvolutionForward") != 0;
    ranges = {{x, extent(p.x), fused ? "cudnnConvolutionBiasActivationForward x" : "cudnnConvolutionForward x"},
              {w, extent(p.w), fused ? "cudnnConvolutionBiasActivationForward w" : "cudnnConvolutionForward w"},
              {y, extent(p.y), fused ? "cudnnConvolutionBiasActivationForward y" : "cudnnConvolutionForward y"}};
    if (need > 0) ranges.push_back({ws, ws_bytes, fused ? "cudnnConvolutionBiasActivationForward workSpace" : "cudnnConvolutionForward workSpace"});
    return SUCCESS;
}
} // namespace

CG_API int cudnnConvolutionForward(void* hp, const void* alpha, void* xd, std::uint64_t x, void* wd, std::uint64_t w, void* cdp, int algo,
                                   std::uint64_t ws, std::size_t ws_bytes, const void* beta, void* yd, std::uint64_t y)
{
    const char* api = "cudnnConvolutionForward";
    Handle* h;
    ConvProblem p;
    std::vector<cg_emu::DeviceRange> ranges;
    int rc;
    if ((rc = prepare_forward(api, h, hp, xd, x, wd, w, cdp, algo, ws, ws_bytes, yd, y, p, ranges))) return rc;
    if (!alpha || !beta) return fail(BAD_PARAM, std::string(api) + ": alpha or beta is null");
    Epilogue e;
    e.alpha = scalar(alpha);
    e.beta = scalar(beta);
    return enqueue(h, api, std::move(ranges), [=]() { return run_conv(p, x, w, y, e); });
}

CG_API int cudnnConvolutionBiasActivationForward(void* hp, const void* alpha1, void* xd, std::uint64_t x, void* wd, std::uint64_t w, void* cdp,
                                                 int algo, std::uint64_t ws, std::size_t ws_bytes, const void* alpha2, void* zd, std::uint64_t z,
                                                 void* bd, std::uint64_t bias, void* ad, void* yd, std::uint64_t y)
{
    const char* api = "cudnnConvolutionBiasActivationForward";
    Handle* h;
    ConvProblem p;
    std::vector<cg_emu::DeviceRange> ranges;
    int rc;
    ActivationDesc* a = activation(ad);
    if (!a || !a->set) return fail(BAD_PARAM, std::string(api) + ": activationDesc is not a set activation descriptor");
    if (a->mode != RELU && a->mode != IDENTITY)
        return fail(NOT_SUPPORTED, std::string(api) + ": only CUDNN_ACTIVATION_RELU and CUDNN_ACTIVATION_IDENTITY are supported (mode " +
                                       std::to_string(a->mode) + ")");
    if (a->mode == IDENTITY && algo != IMPLICIT_PRECOMP_GEMM)
        return fail(BAD_PARAM, std::string(api) + ": CUDNN_ACTIVATION_IDENTITY needs CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, not " + algo_name(algo));
    if ((rc = prepare_forward(api, h, hp, xd, x, wd, w, cdp, algo, ws, ws_bytes, yd, y, p, ranges))) return rc;
    if (!alpha1 || !alpha2) return fail(BAD_PARAM, std::string(api) + ": alpha1 or alpha2 is null");
    TensorDesc *zt, *bt;
    if ((rc = need_tensor(api, "zDesc", zd, zt)) || (rc = need_tensor(api, "biasDesc", bd, bt))) return rc;
    if (zt->n != p.y.n || zt->c != p.y.c || zt->h != p.y.h || zt->w != p.y.w)
        return fail(BAD_PARAM, std::string(api) + ": zDesc (" + dims(*zt) + ") must have y's dimensions (" + dims(p.y) + ")");
    if (bt->n != 1 || bt->c != p.y.c || bt->h != 1 || bt->w != 1)
        return fail(BAD_PARAM, std::string(api) + ": biasDesc must be 1×K×1×1 with K = " + std::to_string(p.y.c) + " (" + dims(*bt) + ")");
    if (z == y && (zt->ns != p.y.ns || zt->cs != p.y.cs || zt->hs != p.y.hs || zt->ws != p.y.ws))
        return fail(BAD_PARAM, std::string(api) + ": z aliases y but zDesc differs from yDesc");
    Epilogue e;
    e.fused = true;
    e.alpha = scalar(alpha1);
    e.alpha2 = scalar(alpha2);
    e.z = *zt;
    e.bias = *bt;
    e.zp = z;
    e.bp = bias;
    e.act = a->mode;
    e.coef = a->coef;
    if (!bias) return fail(BAD_PARAM, std::string(api) + ": bias is null");
    ranges.push_back({bias, extent(*bt), "cudnnConvolutionBiasActivationForward bias"});
    if (e.alpha2 != 0)
    {
        if (!z) return fail(BAD_PARAM, std::string(api) + ": alpha2 is not zero but z is null");
        ranges.push_back({z, extent(*zt), "cudnnConvolutionBiasActivationForward z"});
    }
    return enqueue(h, api, std::move(ranges), [=]() { return run_conv(p, x, w, y, e); });
}

// Runs the convolution once (blocking: the handle's stream is synchronized), as every emulated algorithm computes
// the same sums on the CPU, and reports that time for each of them, so the list keeps the fixed order and is the same
// from run to run; the algorithms not emulated, or needing more workspace than given, come last.
CG_API int cudnnFindConvolutionForwardAlgorithmEx(void* hp, void* xd, std::uint64_t x, void* wd, std::uint64_t w, void* cdp, void* yd, std::uint64_t y,
                                                  int requested, int* returned, AlgoPerf* results, std::uint64_t ws, std::size_t ws_bytes)
{
    const char* api = "cudnnFindConvolutionForwardAlgorithmEx";
    Handle* h = handle(hp);
    if (!h) return fail(BAD_PARAM, std::string(api) + ": not a cuDNN handle");
    if (!returned || !results || requested <= 0) return fail(BAD_PARAM, std::string(api) + ": requestedAlgoCount must be positive, pointers non-null");
    ConvProblem p;
    int rc;
    if ((rc = check_conv(api, xd, wd, cdp, yd, p))) return rc;
    if (!x || !w || !y) return fail(BAD_PARAM, std::string(api) + ": x, w and y must not be null");
    std::vector<cg_emu::DeviceRange> base = {{x, extent(p.x), "cudnnFindConvolutionForwardAlgorithmEx x"},
                                             {w, extent(p.w), "cudnnFindConvolutionForwardAlgorithmEx w"},
                                             {y, extent(p.y), "cudnnFindConvolutionForwardAlgorithmEx y"}};
    if (ws_bytes > 0) base.push_back({ws, ws_bytes, "cudnnFindConvolutionForwardAlgorithmEx workSpace"});
    if ((rc = check_ranges(api, base))) return rc;
    std::vector<AlgoPerf> all;
    float measured = -1.0f;
    for (int algo : kOrder)
    {
        AlgoPerf r = perf_of(p, algo);
        if (r.status == SUCCESS && r.memory > ws_bytes) r.status = BAD_PARAM_SIZE_INSUFFICIENT, r.time = -1;
        if (r.status == SUCCESS && measured >= 0)
            r.time = measured;
        else if (r.status == SUCCESS)
        {
            auto ms = std::make_shared<float>(-1.0f);
            Epilogue e;
            rc = enqueue(h, api, base, [=]() {
                auto t0 = std::chrono::steady_clock::now();
                std::string s = run_conv(p, x, w, y, e);
                *ms = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - t0).count();
                return s;
            });
            if (rc) return rc;
            int cu = cuStreamSynchronize(h->stream);
            if (cu != 0) return fail(EXECUTION_FAILED_CUDA_DRIVER, std::string(api) + ": cuStreamSynchronize gave CUresult " + std::to_string(cu));
            r.time = measured = *ms;
        }
        all.push_back(r);
    }
    std::stable_sort(all.begin(), all.end(), [](const AlgoPerf& a, const AlgoPerf& b) {
        if ((a.status == SUCCESS) != (b.status == SUCCESS)) return a.status == SUCCESS;
        return a.status == SUCCESS && a.time < b.time;
    });
    int n = std::min(requested, static_cast<int>(all.size()));
    for (int i = 0; i < n; i++) results[i] = all[i];
    *returned = n;
    return SUCCESS;
}
