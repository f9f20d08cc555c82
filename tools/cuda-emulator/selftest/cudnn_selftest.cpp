// cudnn_selftest.cpp — the emulated cuDNN (libcudnn.so.9) through its C entry points on the emulated device (no .NET,
// no GPU): hand-computed small cases, random cases against a naive double reference written here (NCHW, NHWC, groups,
// depthwise, stride, padding, dilation, convolution vs cross-correlation), NHWC vs NCHW, bias + activation + z,
// HALF/BFLOAT16 storage, TF32 rounding, the algorithm lists, the refusals and a workspace that is too small.
// Usage: cudnn_selftest   (run by tools/cuda-emulator/selftest-cudnn.sh, linked against build/cuda-emulator/<flavour>)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "driver_decls.h"

extern "C" {
struct Perf { int algo, status; float time; size_t memory; int determinism, mathType, reserved[3]; };
size_t cudnnGetVersion();
int cudnnGetProperty(int, int*);
const char* cudnnGetErrorString(int);
void cudnnGetLastErrorString(char*, size_t);
int cudnnCreate(void**);
int cudnnDestroy(void*);
int cudnnSetStream(void*, void*);
int cudnnCreateTensorDescriptor(void**);
int cudnnDestroyTensorDescriptor(void*);
int cudnnSetTensor4dDescriptor(void*, int, int, int, int, int, int);
int cudnnSetTensor4dDescriptorEx(void*, int, int, int, int, int, int, int, int, int);
int cudnnGetTensorSizeInBytes(void*, size_t*);
int cudnnTransformTensor(void*, const void*, void*, CUdeviceptr, const void*, void*, CUdeviceptr);
int cudnnAddTensor(void*, const void*, void*, CUdeviceptr, const void*, void*, CUdeviceptr);
int cudnnCreateFilterDescriptor(void**);
int cudnnDestroyFilterDescriptor(void*);
int cudnnSetFilter4dDescriptor(void*, int, int, int, int, int, int);
int cudnnCreateActivationDescriptor(void**);
int cudnnDestroyActivationDescriptor(void*);
int cudnnSetActivationDescriptor(void*, int, int, double);
int cudnnActivationForward(void*, void*, const void*, void*, CUdeviceptr, const void*, void*, CUdeviceptr);
int cudnnCreatePoolingDescriptor(void**);
int cudnnDestroyPoolingDescriptor(void*);
int cudnnSetPooling2dDescriptor(void*, int, int, int, int, int, int, int, int);
int cudnnGetPooling2dForwardOutputDim(void*, void*, int*, int*, int*, int*);
int cudnnPoolingForward(void*, void*, const void*, void*, CUdeviceptr, const void*, void*, CUdeviceptr);
int cudnnSoftmaxForward(void*, int, int, const void*, void*, CUdeviceptr, const void*, void*, CUdeviceptr);
int cudnnCreateConvolutionDescriptor(void**);
int cudnnDestroyConvolutionDescriptor(void*);
int cudnnSetConvolution2dDescriptor(void*, int, int, int, int, int, int, int, int);
int cudnnSetConvolutionGroupCount(void*, int);
int cudnnSetConvolutionMathType(void*, int);
int cudnnGetConvolution2dForwardOutputDim(void*, void*, void*, int*, int*, int*, int*);
int cudnnGetConvolutionForwardAlgorithmMaxCount(void*, int*);
int cudnnGetConvolutionForwardAlgorithm_v7(void*, void*, void*, void*, void*, int, int*, Perf*);
int cudnnFindConvolutionForwardAlgorithmEx(void*, void*, CUdeviceptr, void*, CUdeviceptr, void*, void*, CUdeviceptr, int, int*, Perf*, CUdeviceptr, size_t);
int cudnnGetConvolutionForwardWorkspaceSize(void*, void*, void*, void*, void*, int, size_t*);
int cudnnConvolutionForward(void*, const void*, void*, CUdeviceptr, void*, CUdeviceptr, void*, int, CUdeviceptr, size_t, const void*, void*, CUdeviceptr);
int cudnnConvolutionBiasActivationForward(void*, const void*, void*, CUdeviceptr, void*, CUdeviceptr, void*, int, CUdeviceptr, size_t, const void*, void*,
                                          CUdeviceptr, void*, CUdeviceptr, void*, void*, CUdeviceptr);
}

namespace
{
enum { FLOAT = 0, HALF = 2, BF16 = 9, INT8x4 = 5, NCHW = 0, NHWC = 1, VECT_C = 2, DEFAULT_MATH = 0, FMA = 3, CONV = 0, XCORR = 1 };
enum { IMPLICIT_GEMM = 0, PRECOMP = 1, GEMM = 2, FFT = 4 };
enum { SUCCESS = 0, BAD_PARAM = 2000, NOT_SUPPORTED = 3000, NOT_SUPPORTED_LAYOUT = 3004 };
int failures = 0, checks = 0;
void* stream;
void* cudnn;

std::string last_error()
{
    char b[1024];
    cudnnGetLastErrorString(b, sizeof b);
    return b;
}
void expect(bool ok, const std::string& what)
{
    ++checks;
    if (!ok) std::printf("FAIL: %s\n", what.c_str()), ++failures;
}
void expect_status(int got, int want, const std::string& what, const char* message_part = nullptr)
{
    ++checks;
    std::string msg = got ? last_error() : "";
    if (got != want) std::printf("FAIL: %s: status %d (%s), expected %d\n", what.c_str(), got, msg.c_str(), want), ++failures;
    else if (message_part && msg.find(message_part) == std::string::npos)
        std::printf("FAIL: %s: message '%s' lacks '%s'\n", what.c_str(), msg.c_str(), message_part), ++failures;
}

// ---- 16-bit and TF32 rounding, written independently of the library ----------------------------------------------
float round_mantissa(float f, int bits) // round to nearest even keeping `bits` explicit mantissa bits (normal numbers)
{
    if (f == 0 || !std::isfinite(f)) return f;
    int e;
    double m = std::frexp(static_cast<double>(f), &e);
    double scaled = std::ldexp(m, bits + 1);
    return static_cast<float>(std::ldexp(std::nearbyint(scaled), e - bits - 1));
}
float to_half(float f) { return std::fabs(f) < 6.2e-5f ? static_cast<float>(std::nearbyint(f * 16777216.0) / 16777216.0) : round_mantissa(f, 10); }
uint16_t half_bits(float f)
{
    f = to_half(f);
    uint16_t sign = f < 0 ? 0x8000 : 0;
    f = std::fabs(f);
    if (f == 0) return sign;
    int e;
    double m = std::frexp(f, &e);
    if (e - 1 < -14) return sign | static_cast<uint16_t>(std::lround(f * 16777216.0));
    return sign | static_cast<uint16_t>((e - 1 + 15) << 10) | static_cast<uint16_t>(std::lround((m * 2 - 1) * 1024));
}
float half_value(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
    return static_cast<float>(h & 0x8000 ? -v : v);
}
uint16_t bf16_bits(float f)
{
    f = round_mantissa(f, 7);
    uint32_t x;
    std::memcpy(&x, &f, 4);
    return static_cast<uint16_t>(x >> 16);
}
float bf16_value(uint16_t b)
{
    uint32_t x = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

// ---- device buffers ----------------------------------------------------------------------------------------------
struct Buffer
{
    CUdeviceptr p = 0;
    size_t bytes = 0;
    explicit Buffer(size_t n) : bytes(n) { cuMemAlloc_v2(&p, n ? n : 1); }
    ~Buffer() { cuMemFree_v2(p); }
};
template <typename T> void upload(Buffer& b, const std::vector<T>& v)
{
    cuMemcpyHtoDAsync_v2(b.p, v.data(), v.size() * sizeof(T), stream);
    cuStreamSynchronize(stream);
}
template <typename T> std::vector<T> download(const Buffer& b, size_t n)
{
    cuStreamSynchronize(stream);
    std::vector<T> v(n);
    cuMemcpyDtoHAsync_v2(v.data(), b.p, n * sizeof(T), stream);
    cuStreamSynchronize(stream);
    return v;
}

std::vector<float> random_vector(unsigned seed, size_t n)
{
    std::mt19937 g(seed);
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> v(n);
    for (auto& x : v) x = d(g);
    return v;
}

struct Shape { int n, c, h, w, k, r, s, pad_h, pad_w, u, v, dh, dw, groups, mode; };

// Naive reference in double over NCHW x and KCRS w.
std::vector<double> reference(const Shape& q, const std::vector<float>& x, const std::vector<float>& w, int& P, int& Q)
{
    P = (q.h + 2 * q.pad_h - ((q.r - 1) * q.dh + 1)) / q.u + 1;
    Q = (q.w + 2 * q.pad_w - ((q.s - 1) * q.dw + 1)) / q.v + 1;
    int cpg = q.c / q.groups, kpg = q.k / q.groups;
    std::vector<double> y(static_cast<size_t>(q.n) * q.k * P * Q);
    for (int n = 0; n < q.n; n++)
        for (int k = 0; k < q.k; k++)
            for (int p = 0; p < P; p++)
                for (int o = 0; o < Q; o++)
                {
                    double acc = 0;
                    for (int c = 0; c < cpg; c++)
                        for (int r = 0; r < q.r; r++)
                            for (int s = 0; s < q.s; s++)
                            {
                                int ih = p * q.u - q.pad_h + r * q.dh, iw = o * q.v - q.pad_w + s * q.dw;
                                if (ih < 0 || iw < 0 || ih >= q.h || iw >= q.w) continue;
                                int fr = q.mode == CONV ? q.r - 1 - r : r, fs = q.mode == CONV ? q.s - 1 - s : s;
                                acc += static_cast<double>(x[((static_cast<size_t>(n) * q.c + (k / kpg) * cpg + c) * q.h + ih) * q.w + iw]) *
                                       w[((static_cast<size_t>(k) * cpg + c) * q.r + fr) * q.s + fs];
                            }
                    y[((static_cast<size_t>(n) * q.k + k) * P + p) * Q + o] = acc;
                }
    return y;
}
std::vector<float> to_nhwc(const std::vector<float>& a, int n, int c, int h, int w)
{
    std::vector<float> b(a.size());
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) b[((static_cast<size_t>(i) * h + y) * w + x) * c + j] = a[((static_cast<size_t>(i) * c + j) * h + y) * w + x];
    return b;
}
std::vector<float> from_nhwc(const std::vector<float>& b, int n, int c, int h, int w)
{
    std::vector<float> a(b.size());
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) a[((static_cast<size_t>(i) * c + j) * h + y) * w + x] = b[((static_cast<size_t>(i) * h + y) * w + x) * c + j];
    return a;
}

struct Descs
{
    void *x, *w, *conv, *y;
    Descs()
    {
        cudnnCreateTensorDescriptor(&x), cudnnCreateFilterDescriptor(&w), cudnnCreateConvolutionDescriptor(&conv), cudnnCreateTensorDescriptor(&y);
    }
    ~Descs()
    {
        cudnnDestroyTensorDescriptor(x), cudnnDestroyFilterDescriptor(w), cudnnDestroyConvolutionDescriptor(conv), cudnnDestroyTensorDescriptor(y);
    }
    int set(const Shape& q, int format, int dtype, int math, int& P, int& Q)
    {
        int rc = cudnnSetTensor4dDescriptor(x, format, dtype, q.n, q.c, q.h, q.w);
        rc = rc ? rc : cudnnSetFilter4dDescriptor(w, dtype, format, q.k, q.c / q.groups, q.r, q.s);
        rc = rc ? rc : cudnnSetConvolution2dDescriptor(conv, q.pad_h, q.pad_w, q.u, q.v, q.dh, q.dw, q.mode, FLOAT);
        rc = rc ? rc : cudnnSetConvolutionGroupCount(conv, q.groups);
        rc = rc ? rc : cudnnSetConvolutionMathType(conv, math);
        int n, c;
        rc = rc ? rc : cudnnGetConvolution2dForwardOutputDim(conv, x, w, &n, &c, &P, &Q);
        rc = rc ? rc : cudnnSetTensor4dDescriptor(y, format, dtype, n, c, P, Q);
        return rc;
    }
};

// One FP32 convolution through cudnnConvolutionForward with `algo`; returns the output in NCHW order.
std::vector<float> run_forward(const Shape& q, int format, int math, int algo, const std::vector<float>& x, const std::vector<float>& w, int& P, int& Q,
                               float alpha = 1, float beta = 0, const std::vector<float>* y0 = nullptr)
{
    Descs d;
    expect_status(d.set(q, format, FLOAT, math, P, Q), SUCCESS, "descriptors");
    size_t ws = 0;
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, algo, &ws), SUCCESS, "workspace size");
    Buffer bx(x.size() * 4), bw(w.size() * 4), by(static_cast<size_t>(q.n) * q.k * P * Q * 4), bws(ws);
    upload(bx, format == NHWC ? to_nhwc(x, q.n, q.c, q.h, q.w) : x);
    upload(bw, format == NHWC ? to_nhwc(w, q.k, q.c / q.groups, q.r, q.s) : w);
    if (y0) upload(by, format == NHWC ? to_nhwc(*y0, q.n, q.k, P, Q) : *y0);
    expect_status(cudnnConvolutionForward(cudnn, &alpha, d.x, bx.p, d.w, bw.p, d.conv, algo, bws.p, ws, &beta, d.y, by.p), SUCCESS, "cudnnConvolutionForward");
    auto y = download<float>(by, by.bytes / 4);
    return format == NHWC ? from_nhwc(y, q.n, q.k, P, Q) : y;
}

bool close(const std::vector<float>& a, const std::vector<double>& b, double tol, std::string& why)
{
    if (a.size() != b.size()) return why = "sizes differ", false;
    for (size_t i = 0; i < a.size(); i++)
        if (!(std::fabs(a[i] - b[i]) <= tol * (1 + std::fabs(b[i]))))
            return why = "element " + std::to_string(i) + ": " + std::to_string(a[i]) + " vs " + std::to_string(b[i]), false;
    return true;
}

void hand_cases()
{
    Shape q{1, 1, 3, 3, 1, 2, 2, 0, 0, 1, 1, 1, 1, 1, XCORR};
    std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w{1, 2, 3, 4};
    int P, Q;
    auto y = run_forward(q, NCHW, FMA, IMPLICIT_GEMM, x, w, P, Q);
    expect(P == 2 && Q == 2 && y == std::vector<float>{37, 47, 67, 77}, "hand: 3×3 * 2×2 cross-correlation = 37 47 67 77");
    q.mode = CONV;
    y = run_forward(q, NCHW, FMA, GEMM, x, w, P, Q);
    expect(y == std::vector<float>{23, 33, 53, 63}, "hand: convolution mode flips the filter: 23 33 53 63");
    // padding 1, stride 2: outputs at (−1,−1), (−1,1), (1,−1), (1,1) of a 2×2 all-ones filter over 1..9.
    Shape p{1, 1, 3, 3, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, XCORR};
    y = run_forward(p, NCHW, FMA, PRECOMP, x, {1, 1, 1, 1}, P, Q);
    expect(P == 2 && Q == 2 && y == std::vector<float>{1, 5, 11, 28}, "hand: pad 1 stride 2 = 1 5 11 28");
    // dilation 2: a 2×2 filter touching the corners of 3×3.
    Shape dl{1, 1, 3, 3, 1, 2, 2, 0, 0, 1, 1, 2, 2, 1, XCORR};
    y = run_forward(dl, NCHW, FMA, IMPLICIT_GEMM, x, {1, 1, 1, 1}, P, Q);
    expect(P == 1 && Q == 1 && y == std::vector<float>{20}, "hand: dilation 2 sums the corners = 20");
    // alpha/beta: y = 2·conv + 0.5·y0
    std::vector<float> y0{2, 4, 6, 8};
    y = run_forward(q, NCHW, FMA, IMPLICIT_GEMM, x, w, P, Q, 2.0f, 0.5f, &y0);
    expect(y == std::vector<float>{47, 68, 109, 130}, "hand: alpha 2, beta 0.5");
}

void random_cases()
{
    const Shape shapes[] = {
        {2, 5, 17, 13, 8, 3, 3, 1, 1, 2, 2, 1, 1, 1, XCORR},  {1, 3, 16, 14, 6, 7, 5, 3, 2, 2, 1, 1, 1, 1, XCORR},
        {2, 4, 20, 20, 4, 3, 3, 2, 2, 1, 1, 2, 2, 1, XCORR},  {2, 12, 9, 9, 12, 3, 3, 1, 1, 1, 1, 1, 1, 12, XCORR},
        {1, 8, 10, 11, 12, 3, 3, 1, 0, 1, 2, 1, 2, 4, XCORR}, {2, 6, 8, 8, 4, 3, 3, 0, 1, 2, 1, 1, 1, 2, CONV},
        {3, 16, 5, 7, 8, 1, 1, 0, 0, 1, 1, 1, 1, 1, XCORR},
    };
    int i = 0;
    for (const Shape& q : shapes)
    {
        ++i;
        auto x = random_vector(100 + i, static_cast<size_t>(q.n) * q.c * q.h * q.w);
        auto w = random_vector(200 + i, static_cast<size_t>(q.k) * (q.c / q.groups) * q.r * q.s);
        int P, Q;
        auto ref = reference(q, x, w, P, Q);
        std::vector<float> nchw;
        for (int algo : {IMPLICIT_GEMM, PRECOMP, GEMM})
        {
            auto y = run_forward(q, NCHW, FMA, algo, x, w, P, Q);
            std::string why;
            expect(close(y, ref, 1e-6, why), "random case " + std::to_string(i) + " NCHW algo " + std::to_string(algo) + ": " + why);
            auto yn = run_forward(q, NHWC, FMA, algo, x, w, P, Q);
            expect(close(yn, ref, 1e-6, why), "random case " + std::to_string(i) + " NHWC algo " + std::to_string(algo) + ": " + why);
            expect(yn == y, "random case " + std::to_string(i) + ": NHWC gives NCHW's bits");
        }
        // TF32 (DEFAULT math on FP32 data): the reference over inputs rounded to 10 mantissa bits.
        std::vector<float> xt(x), wt(w);
        for (auto& v : xt) v = round_mantissa(v, 10);
        for (auto& v : wt) v = round_mantissa(v, 10);
        auto ref_tf32 = reference(q, xt, wt, P, Q);
        auto y = run_forward(q, NCHW, DEFAULT_MATH, PRECOMP, x, w, P, Q);
        std::string why;
        expect(close(y, ref_tf32, 1e-6, why), "random case " + std::to_string(i) + " TF32 (DEFAULT math): " + why);
        expect(!close(y, ref, 1e-7, why) || q.c * q.r * q.s < 4, "random case " + std::to_string(i) + ": TF32 differs from exact FP32");
    }
}

// act(alpha1·conv + alpha2·z + bias)
void fused_cases()
{
    Shape q{2, 6, 9, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 2, XCORR};
    auto x = random_vector(300, static_cast<size_t>(q.n) * q.c * q.h * q.w);
    auto w = random_vector(301, static_cast<size_t>(q.k) * (q.c / q.groups) * q.r * q.s);
    auto bias = random_vector(302, q.k);
    int P, Q;
    auto conv = reference(q, x, w, P, Q);
    auto z = random_vector(303, conv.size());
    Descs d;
    d.set(q, NCHW, FLOAT, FMA, P, Q);
    void *bd, *act, *id;
    cudnnCreateTensorDescriptor(&bd);
    cudnnSetTensor4dDescriptor(bd, NCHW, FLOAT, 1, q.k, 1, 1);
    cudnnCreateActivationDescriptor(&act);
    cudnnSetActivationDescriptor(act, 1 /*RELU*/, 0, 0);
    cudnnCreateActivationDescriptor(&id);
    cudnnSetActivationDescriptor(id, 5 /*IDENTITY*/, 0, 0);
    size_t ws = 0;
    cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, PRECOMP, &ws);
    Buffer bx(x.size() * 4), bw(w.size() * 4), bb(bias.size() * 4), bz(z.size() * 4), by(conv.size() * 4), bws(ws);
    upload(bx, x), upload(bw, w), upload(bb, bias), upload(bz, z);
    float a1 = 0.5f, a2 = 2.0f, zero = 0;
    expect_status(cudnnConvolutionBiasActivationForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, GEMM, 0, 0, &a2, d.y, bz.p, bd, bb.p, act, d.y, by.p),
                  BAD_PARAM, "fused GEMM with no workspace", "less than");
    size_t gemm_ws = 0;
    cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, GEMM, &gemm_ws);
    {
        Buffer small(gemm_ws - 1);
        expect_status(cudnnConvolutionForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, GEMM, small.p, gemm_ws - 1, &zero, d.y, by.p), BAD_PARAM,
                      "workspace one byte smaller than asked", "less than");
    }
    expect_status(cudnnConvolutionBiasActivationForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, PRECOMP, bws.p, ws, &a2, d.y, bz.p, bd, bb.p, act, d.y, by.p),
                  SUCCESS, "fused relu with z");
    auto y = download<float>(by, conv.size());
    std::vector<double> want(conv.size());
    int plane = P * Q;
    for (size_t i = 0; i < want.size(); i++) want[i] = std::max(0.0, 0.5 * conv[i] + 2.0 * z[i] + bias[(i / plane) % q.k]);
    std::string why;
    expect(close(y, want, 1e-6, why), "fused relu(0.5·conv + 2·z + bias): " + why);
    // IDENTITY: only with IMPLICIT_PRECOMP_GEMM.
    expect_status(cudnnConvolutionBiasActivationForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, IMPLICIT_GEMM, 0, 0, &zero, d.y, 0, bd, bb.p, id, d.y, by.p),
                  BAD_PARAM, "fused IDENTITY with IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM");
    expect_status(cudnnConvolutionBiasActivationForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, PRECOMP, bws.p, ws, &zero, d.y, 0, bd, bb.p, id, d.y, by.p),
                  SUCCESS, "fused IDENTITY with IMPLICIT_PRECOMP_GEMM, alpha2 0, z null");
    y = download<float>(by, conv.size());
    for (size_t i = 0; i < want.size(); i++) want[i] = 0.5 * conv[i] + bias[(i / plane) % q.k];
    expect(close(y, want, 1e-6, why), "fused identity(0.5·conv + bias): " + why);
    void* sig;
    cudnnCreateActivationDescriptor(&sig);
    cudnnSetActivationDescriptor(sig, 0 /*SIGMOID*/, 0, 0);
    expect_status(cudnnConvolutionBiasActivationForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, PRECOMP, bws.p, ws, &a2, d.y, bz.p, bd, bb.p, sig, d.y, by.p),
                  NOT_SUPPORTED, "fused SIGMOID", "RELU");
    void* bad_bias;
    cudnnCreateTensorDescriptor(&bad_bias);
    cudnnSetTensor4dDescriptor(bad_bias, NCHW, FLOAT, 1, q.k + 1, 1, 1);
    expect_status(cudnnConvolutionBiasActivationForward(cudnn, &a1, d.x, bx.p, d.w, bw.p, d.conv, PRECOMP, bws.p, ws, &a2, d.y, bz.p, bad_bias, bb.p, act, d.y, by.p),
                  BAD_PARAM, "fused bias of K+1 channels", "biasDesc");
    cudnnDestroyActivationDescriptor(sig), cudnnDestroyActivationDescriptor(act), cudnnDestroyActivationDescriptor(id);
    cudnnDestroyTensorDescriptor(bd), cudnnDestroyTensorDescriptor(bad_bias);
}

void sixteen_bit_cases()
{
    Shape q{1, 4, 7, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, XCORR};
    auto x = random_vector(400, static_cast<size_t>(q.n) * q.c * q.h * q.w);
    auto w = random_vector(401, static_cast<size_t>(q.k) * q.c * q.r * q.s);
    for (int dtype : {HALF, BF16})
    {
        std::vector<uint16_t> xs(x.size()), wsv(w.size());
        std::vector<float> xr(x.size()), wr(w.size());
        for (size_t i = 0; i < x.size(); i++) xs[i] = dtype == HALF ? half_bits(x[i]) : bf16_bits(x[i]), xr[i] = dtype == HALF ? half_value(xs[i]) : bf16_value(xs[i]);
        for (size_t i = 0; i < w.size(); i++) wsv[i] = dtype == HALF ? half_bits(w[i]) : bf16_bits(w[i]), wr[i] = dtype == HALF ? half_value(wsv[i]) : bf16_value(wsv[i]);
        int P, Q;
        auto ref = reference(q, xr, wr, P, Q);
        Descs d;
        expect_status(d.set(q, NCHW, dtype, FMA, P, Q), SUCCESS, "16-bit descriptors");
        Buffer bx(xs.size() * 2), bw(wsv.size() * 2), by(ref.size() * 2);
        upload(bx, xs), upload(bw, wsv);
        float one = 1, zero = 0;
        expect_status(cudnnConvolutionForward(cudnn, &one, d.x, bx.p, d.w, bw.p, d.conv, IMPLICIT_GEMM, 0, 0, &zero, d.y, by.p), SUCCESS, "16-bit forward");
        auto ys = download<uint16_t>(by, ref.size());
        bool ok = true;
        for (size_t i = 0; i < ref.size() && ok; i++)
        {
            uint16_t want = dtype == HALF ? half_bits(static_cast<float>(ref[i])) : bf16_bits(static_cast<float>(ref[i]));
            float got = dtype == HALF ? half_value(ys[i]) : bf16_value(ys[i]), wantv = dtype == HALF ? half_value(want) : bf16_value(want);
            ok = std::fabs(got - wantv) <= (dtype == HALF ? 1e-3 : 1e-2) * (1 + std::fabs(wantv));
        }
        expect(ok, std::string(dtype == HALF ? "HALF" : "BFLOAT16") + " storage, FP32 compute: matches the rounded reference");
    }
}

void lists_and_refusals()
{
    Shape q{2, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, XCORR};
    Descs d;
    int P, Q;
    d.set(q, NCHW, FLOAT, FMA, P, Q);
    int count = 0, returned = 0;
    cudnnGetConvolutionForwardAlgorithmMaxCount(cudnn, &count);
    expect(count == 8, "max count 8");
    Perf a[8], b[8];
    expect_status(cudnnGetConvolutionForwardAlgorithm_v7(cudnn, d.x, d.w, d.conv, d.y, 8, &returned, a), SUCCESS, "get_v7");
    cudnnGetConvolutionForwardAlgorithm_v7(cudnn, d.x, d.w, d.conv, d.y, 8, &returned, b);
    expect(returned == 8 && std::memcmp(a, b, sizeof a) == 0, "get_v7 is deterministic");
    expect(a[0].algo == PRECOMP && a[0].status == 0 && a[0].mathType == FMA && a[0].determinism == 1 && a[0].time == -1.0f,
           "get_v7 first: IMPLICIT_PRECOMP_GEMM, FMA, deterministic, time −1 (nothing measured)");
    expect(a[4].status == NOT_SUPPORTED, "get_v7: FFT is listed NOT_SUPPORTED");
    size_t ws;
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, FFT, &ws), NOT_SUPPORTED, "workspace of FFT", "not emulated");
    std::vector<float> x = random_vector(500, static_cast<size_t>(q.n) * q.c * q.h * q.w), w = random_vector(501, static_cast<size_t>(q.k) * q.c * 9);
    Buffer bx(x.size() * 4), bw(w.size() * 4), by(static_cast<size_t>(q.n) * q.k * P * Q * 4), bws(64 << 20);
    upload(bx, x), upload(bw, w);
    Perf f[8];
    expect_status(cudnnFindConvolutionForwardAlgorithmEx(cudnn, d.x, bx.p, d.w, bw.p, d.conv, d.y, by.p, 8, &returned, f, bws.p, bws.bytes), SUCCESS, "FindEx");
    int ok = 0;
    for (int i = 0; i < returned; i++) ok += f[i].status == 0 && f[i].time >= 0;
    expect(returned == 8 && ok == 3 && f[3].status != 0, "FindEx: three emulated algorithms ran and were timed, the others after them");
    expect_status(cudnnFindConvolutionForwardAlgorithmEx(cudnn, d.x, bx.p, d.w, bw.p, d.conv, d.y, by.p, 8, &returned, f, 0, 0), SUCCESS, "FindEx, no workspace");
    ok = 0;
    for (int i = 0; i < returned; i++) ok += f[i].status == 0;
    expect(ok == 1 && f[0].algo == IMPLICIT_GEMM, "FindEx with no workspace: only IMPLICIT_GEMM succeeds");
    // Output too small for the descriptor: the range check catches it before anything is queued.
    {
        Buffer small(by.bytes - 4);
        float one = 1, zero = 0;
        expect_status(cudnnConvolutionForward(cudnn, &one, d.x, bx.p, d.w, bw.p, d.conv, IMPLICIT_GEMM, 0, 0, &zero, d.y, small.p), BAD_PARAM,
                      "y one element short", "cudnnConvolutionForward y");
    }
    // Descriptor validation.
    void* t;
    cudnnCreateTensorDescriptor(&t);
    expect_status(cudnnSetTensor4dDescriptor(t, NCHW, FLOAT, 1, 0, 4, 4), BAD_PARAM, "tensor with C = 0");
    expect_status(cudnnSetTensor4dDescriptor(t, NHWC, FLOAT, 1, 65536, 65536, 2), BAD_PARAM, "tensor of 2^33 elements", "2^31");
    expect_status(cudnnSetTensor4dDescriptorEx(t, FLOAT, 1, 2, 3, 4, 24, 12, 4, -1), BAD_PARAM, "tensor with a negative stride");
    size_t bytes = 0;
    cudnnSetTensor4dDescriptorEx(t, FLOAT, 2, 3, 4, 5, 100, 20, 5, 1);
    cudnnGetTensorSizeInBytes(t, &bytes);
    expect(bytes == (1 + 100 + 2 * 20 + 3 * 5 + 4) * 4, "cudnnGetTensorSizeInBytes: the strided extent");
    cudnnDestroyTensorDescriptor(t);
    void* fd;
    cudnnCreateFilterDescriptor(&fd);
    expect_status(cudnnSetFilter4dDescriptor(fd, FLOAT, VECT_C, 8, 4, 3, 3), BAD_PARAM, "NCHW_VECT_C float filter");
    expect_status(cudnnSetFilter4dDescriptor(fd, FLOAT, NCHW, 8, 4, -3, 3), BAD_PARAM, "filter with R < 0");
    // Descriptor lifecycle (create_descriptor / destroy_descriptor): null out refused, null destroy a no-op, a
    // descriptor of another kind refused by name, then destroyed by its own kind.
    expect_status(cudnnCreateFilterDescriptor(nullptr), BAD_PARAM, "cudnnCreateFilterDescriptor(NULL)");
    expect_status(cudnnDestroyPoolingDescriptor(nullptr), SUCCESS, "cudnnDestroyPoolingDescriptor(NULL)");
    expect_status(cudnnDestroyTensorDescriptor(fd), BAD_PARAM, "a filter destroyed as a tensor descriptor", "not a tensor descriptor");
    expect_status(cudnnDestroyConvolutionDescriptor(fd), BAD_PARAM, "a filter destroyed as a convolution descriptor", "not a convolution descriptor");
    expect_status(cudnnDestroyFilterDescriptor(fd), SUCCESS, "cudnnDestroyFilterDescriptor");
    expect_status(cudnnSetConvolution2dDescriptor(d.conv, -1, 0, 1, 1, 1, 1, XCORR, FLOAT), BAD_PARAM, "negative padding");
    expect_status(cudnnSetConvolution2dDescriptor(d.conv, 1, 1, 0, 1, 1, 1, XCORR, FLOAT), BAD_PARAM, "stride 0");
    // Filter layout against data layout: KCRS filter with NHWC data.
    cudnnSetTensor4dDescriptor(d.x, NHWC, FLOAT, q.n, q.c, q.h, q.w);
    cudnnSetTensor4dDescriptor(d.y, NHWC, FLOAT, q.n, q.k, P, Q);
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, IMPLICIT_GEMM, &ws), NOT_SUPPORTED_LAYOUT,
                  "KCRS filter with NHWC data", "KCRS");
    // Wrong output dims, and stride/padding swapped.
    cudnnSetTensor4dDescriptor(d.x, NCHW, FLOAT, q.n, q.c, q.h, q.w);
    cudnnSetTensor4dDescriptor(d.y, NCHW, FLOAT, q.n, q.k, P + 1, Q);
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, IMPLICIT_GEMM, &ws), BAD_PARAM, "y of the wrong size", "produces");
    cudnnSetTensor4dDescriptor(d.y, NCHW, FLOAT, q.n, q.k, P, Q);
    cudnnSetConvolution2dDescriptor(d.conv, 1, 1, 2, 2, 1, 1, XCORR, FLOAT);
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, IMPLICIT_GEMM, &ws), BAD_PARAM, "stride 2 for a stride-1 output", "produces");
    // Group count that does not divide.
    cudnnSetConvolution2dDescriptor(d.conv, 1, 1, 1, 1, 1, 1, XCORR, FLOAT);
    cudnnSetConvolutionGroupCount(d.conv, 3);
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, IMPLICIT_GEMM, &ws), BAD_PARAM, "group count 3 over 8 channels", "groups");
    // Compute type HALF (TRUE_HALF_CONFIG) is not emulated.
    cudnnSetConvolutionGroupCount(d.conv, 1);
    cudnnSetConvolution2dDescriptor(d.conv, 1, 1, 1, 1, 1, 1, XCORR, HALF);
    expect_status(cudnnGetConvolutionForwardWorkspaceSize(cudnn, d.x, d.w, d.conv, d.y, IMPLICIT_GEMM, &ws), NOT_SUPPORTED, "compute type HALF", "compute type");
    expect(std::string(cudnnGetErrorString(3000)) == "CUDNN_STATUS_NOT_SUPPORTED", "cudnnGetErrorString");
}

void other_ops()
{
    float one = 1, zero = 0;
    void* t;
    cudnnCreateTensorDescriptor(&t);
    // Max pooling 2×2 stride 2 over 1..16 (4×4) = 6 8 14 16; average excluding padding with pad 1, 2×2 stride 2.
    cudnnSetTensor4dDescriptor(t, NCHW, FLOAT, 1, 1, 4, 4);
    std::vector<float> x(16);
    for (int i = 0; i < 16; i++) x[i] = static_cast<float>(i + 1);
    Buffer bx(64), by(64);
    upload(bx, x);
    void *pool, *yt;
    cudnnCreatePoolingDescriptor(&pool);
    cudnnCreateTensorDescriptor(&yt);
    cudnnSetPooling2dDescriptor(pool, 0, 0, 2, 2, 0, 0, 2, 2);
    int n, c, h, w;
    cudnnGetPooling2dForwardOutputDim(pool, t, &n, &c, &h, &w);
    cudnnSetTensor4dDescriptor(yt, NCHW, FLOAT, n, c, h, w);
    expect_status(cudnnPoolingForward(cudnn, pool, &one, t, bx.p, &zero, yt, by.p), SUCCESS, "max pool");
    expect(download<float>(by, 4) == std::vector<float>{6, 8, 14, 16}, "max pool 2×2 s2 = 6 8 14 16");
    cudnnSetPooling2dDescriptor(pool, 2, 0, 2, 2, 1, 1, 2, 2);
    cudnnGetPooling2dForwardOutputDim(pool, t, &n, &c, &h, &w);
    expect(h == 3 && w == 3, "avg pool pad 1: 3×3 output");
    cudnnSetTensor4dDescriptor(yt, NCHW, FLOAT, n, c, h, w);
    Buffer by9(36);
    cudnnPoolingForward(cudnn, pool, &one, t, bx.p, &zero, yt, by9.p);
    auto avg = download<float>(by9, 9);
    expect(avg[0] == 1 && avg[1] == 2.5f && avg[4] == 8.5f && avg[8] == 16, "avg pool excluding padding");
    // Softmax CHANNEL over 2 classes: [0, ln 3] → [0.25, 0.75].
    cudnnSetTensor4dDescriptor(t, NCHW, FLOAT, 1, 2, 1, 1);
    upload(bx, std::vector<float>{0, std::log(3.0f)});
    cudnnSoftmaxForward(cudnn, 1, 1, &one, t, bx.p, &zero, t, by.p);
    auto sm = download<float>(by, 2);
    expect(std::fabs(sm[0] - 0.25f) < 1e-7 && std::fabs(sm[1] - 0.75f) < 1e-7, "softmax [0, ln 3] = [0.25, 0.75]");
    // AddTensor with a 1×C×1×1 bias, then ReLU in place; TransformTensor NCHW → NHWC.
    void* bt;
    cudnnCreateTensorDescriptor(&bt);
    cudnnSetTensor4dDescriptor(bt, NCHW, FLOAT, 1, 2, 1, 1);
    cudnnSetTensor4dDescriptor(t, NCHW, FLOAT, 1, 2, 1, 2);
    upload(bx, std::vector<float>{1, -2, 3, -4});
    Buffer bb(8);
    upload(bb, std::vector<float>{10, -10});
    expect_status(cudnnAddTensor(cudnn, &one, bt, bb.p, &one, t, bx.p), SUCCESS, "add tensor");
    void* relu;
    cudnnCreateActivationDescriptor(&relu);
    cudnnSetActivationDescriptor(relu, 1, 0, 0);
    expect_status(cudnnActivationForward(cudnn, relu, &one, t, bx.p, &zero, t, bx.p), SUCCESS, "relu in place");
    expect(download<float>(bx, 4) == std::vector<float>{11, 8, 0, 0}, "bias then relu = 11 8 0 0");
    cudnnSetTensor4dDescriptor(yt, NHWC, FLOAT, 1, 2, 1, 2);
    cudnnTransformTensor(cudnn, &one, t, bx.p, &zero, yt, by.p);
    expect(download<float>(by, 4) == std::vector<float>{11, 0, 8, 0}, "transform NCHW → NHWC");
    void* ident;
    cudnnCreateActivationDescriptor(&ident);
    cudnnSetActivationDescriptor(ident, 5, 0, 0);
    expect_status(cudnnActivationForward(cudnn, ident, &one, t, bx.p, &zero, t, bx.p), BAD_PARAM, "IDENTITY in cudnnActivationForward", "IDENTITY");
    cudnnDestroyActivationDescriptor(ident), cudnnDestroyActivationDescriptor(relu), cudnnDestroyPoolingDescriptor(pool);
    cudnnDestroyTensorDescriptor(t), cudnnDestroyTensorDescriptor(yt), cudnnDestroyTensorDescriptor(bt);
}
} // namespace

int main()
{
    void* ctx;
    if (cuInit(0) || cuDevicePrimaryCtxRetain(&ctx, 0) || cuCtxSetCurrent(ctx) || cuStreamCreate(&stream, 0))
    {
        std::printf("FAIL: no emulated device\n");
        return 1;
    }
    int major = 0;
    cudnnGetProperty(0, &major);
    expect(cudnnGetVersion() / 10000 == 9 && major == 9, "version 9");
    cudnnCreate(&cudnn);
    cudnnSetStream(cudnn, stream);
    hand_cases();
    random_cases();
    fused_cases();
    sixteen_bit_cases();
    lists_and_refusals();
    other_ops();
    cudnnDestroy(cudnn);
    expect(cuStreamSynchronize(stream) == 0, "the stream ends clean (no sticky error)");
    std::printf("cudnn_selftest: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
