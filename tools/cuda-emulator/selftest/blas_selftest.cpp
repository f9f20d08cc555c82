// blas_selftest.cpp — the emulated cuBLASLt and cuBLAS through their C entry points (no .NET, no GPU):
// hand-computed products, random products against a plain double-precision reference (every epilogue, both
// transposes, both orders, strided batches), TF32 rounding, 16-bit storage with FP32 sums, deferred work and
// graph replay, and the documented refusals.
// Usage: blas_selftest   (linked against build/cuda-emulator/<flavour>/lib{cuda,cublasLt,cublas}; run by
// tools/cuda-emulator/selftest-blas.sh)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "driver_decls.h"

extern "C" {
int cublasLtCreate(void**);
int cublasLtDestroy(void*);
size_t cublasLtGetVersion();
int cublasLtGetProperty(int, int*);
const char* cublasLtGetStatusString(int);
int cublasLtMatmulDescCreate(void**, int, int);
int cublasLtMatmulDescDestroy(void*);
int cublasLtMatmulDescSetAttribute(void*, int, const void*, size_t);
int cublasLtMatrixLayoutCreate(void**, int, uint64_t, uint64_t, int64_t);
int cublasLtMatrixLayoutDestroy(void*);
int cublasLtMatrixLayoutSetAttribute(void*, int, const void*, size_t);
int cublasLtMatmulPreferenceCreate(void**);
int cublasLtMatmulPreferenceDestroy(void*);
int cublasLtMatmulPreferenceSetAttribute(void*, int, const void*, size_t);
struct HeuristicResult
{
    uint64_t algo[8];
    size_t workspaceSize;
    int state;
    float wavesCount;
    int reserved[4];
};
int cublasLtMatmulAlgoGetHeuristic(void*, void*, void*, void*, void*, void*, void*, int, HeuristicResult*, int*);
int cublasLtMatmul(void*, void*, const void*, const void*, void*, const void*, void*, const void*, const void*, void*, void*, void*, const void*, void*, size_t, void*);

int cublasCreate_v2(void**);
int cublasDestroy_v2(void*);
int cublasGetVersion_v2(void*, int*);
int cublasSetStream_v2(void*, void*);
int cublasSetWorkspace_v2(void*, void*, size_t);
int cublasSetMathMode(void*, int);
int cublasSetPointerMode_v2(void*, int);
const char* cublasGetStatusString(int);
int cublasSgemm_v2(void*, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int);
int cublasGemmEx(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int, const void*, void*, int, int, int, int);
int cublasGemmStridedBatchedEx(void*, int, int, int, int, int, const void*, const void*, int, int, long long, const void*, int, int, long long, const void*, void*,
                               int, int, long long, int, int, int);
}

namespace
{
int failures = 0, checks = 0;
void* stream;

void expect(bool ok, const std::string& what)
{
    ++checks;
    if (!ok)
    {
        std::printf("FAIL: %s\n", what.c_str());
        ++failures;
    }
}
void expect_status(int got, int want, const std::string& what) { expect(got == want, what + ": status " + std::to_string(got) + ", expected " + std::to_string(want)); }

template <typename T> CUdeviceptr upload(const std::vector<T>& v)
{
    CUdeviceptr p = 0;
    cuMemAlloc_v2(&p, v.size() * sizeof(T));
    cuMemcpyHtoDAsync_v2(p, v.data(), v.size() * sizeof(T), stream);
    return p;
}
template <typename T> std::vector<T> download(CUdeviceptr p, size_t n)
{
    std::vector<T> v(n);
    cuMemcpyDtoHAsync_v2(v.data(), p, n * sizeof(T), stream); // pageable destination: complete at return
    return v;
}

// Attribute numbers (cublasLt.h)
enum
{
    DESC_TRANSA = 3,
    DESC_TRANSB = 4,
    DESC_EPILOGUE = 7,
    DESC_BIAS_POINTER = 8,
    DESC_BIAS_BATCH_STRIDE = 10,
    DESC_BIAS_DATA_TYPE = 26,
    LAYOUT_ORDER = 1,
    LAYOUT_BATCH_COUNT = 5,
    LAYOUT_STRIDED_BATCH_OFFSET = 6,
    PREF_MAX_WORKSPACE = 1,
    PREF_MIN_ALIGNMENT_A = 5,
};
const int R32F = 0, R16F = 2, R16BF = 14, C32F = 68, C32F_TF32 = 77, C16F = 64;

// The reference: a plain definition of D = epilogue(alpha·op(A)·op(B) + beta·C) in double.
struct Mat
{
    int rows, cols;
    long ld;
    bool row_major;
    long stride;
    double at(const std::vector<float>& v, int b, int r, int c) const { return v[b * stride + (row_major ? r * ld + c : c * ld + r)]; }
    size_t size(int batch) const { return (size_t)((batch - 1) * stride + (row_major ? (rows - 1) * ld + cols : (cols - 1) * ld + rows)); }
};

struct LtCase
{
    int m, n, k, batch;
    bool ta, tb, row_major;
    unsigned epilogue; // 1 default, 2 relu, 4 bias, 6 relu+bias
    float alpha, beta;
    int pad; // extra leading-dimension elements
};

// Builds layouts and runs one cuBLASLt FP32 product against the reference (C = D, in place).
void lt_random(void* lt, const LtCase& t, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1, 1);
    int ar = t.ta ? t.k : t.m, ac = t.ta ? t.m : t.k, br = t.tb ? t.n : t.k, bc = t.tb ? t.k : t.n;
    auto make = [&](int rows, int cols) {
        Mat x{rows, cols, (t.row_major ? cols : rows) + t.pad, t.row_major, 0};
        x.stride = (long)(t.row_major ? rows : cols) * x.ld + 3;
        return x;
    };
    Mat A = make(ar, ac), B = make(br, bc), D = make(t.m, t.n);
    std::vector<float> a(A.size(t.batch)), b(B.size(t.batch)), d(D.size(t.batch)), bias((size_t)t.m * t.batch);
    for (auto* v : {&a, &b, &d, &bias})
        for (auto& x : *v)
            x = dist(rng);
    std::vector<float> expected = d;
    bool has_bias = t.epilogue & 4, relu = t.epilogue & 2;
    for (int bt = 0; bt < t.batch; ++bt)
        for (int i = 0; i < t.m; ++i)
            for (int j = 0; j < t.n; ++j)
            {
                double s = 0;
                for (int p = 0; p < t.k; ++p)
                    s += (t.ta ? A.at(a, bt, p, i) : A.at(a, bt, i, p)) * (t.tb ? B.at(b, bt, j, p) : B.at(b, bt, p, j));
                double v = t.alpha * s + (t.beta != 0 ? t.beta * D.at(d, bt, i, j) : 0);
                if (has_bias)
                    v += bias[bt * t.m + i];
                if (relu)
                    v = v > 0 ? v : 0;
                expected[bt * D.stride + (D.row_major ? i * D.ld + j : j * D.ld + i)] = (float)v;
            }
    CUdeviceptr da = upload(a), db = upload(b), dd = upload(d), dbias = upload(bias);
    void *desc, *la, *lb, *ldd, *pref;
    cublasLtMatmulDescCreate(&desc, C32F, R32F);
    int ta = t.ta, tb = t.tb;
    cublasLtMatmulDescSetAttribute(desc, DESC_TRANSA, &ta, 4);
    cublasLtMatmulDescSetAttribute(desc, DESC_TRANSB, &tb, 4);
    cublasLtMatmulDescSetAttribute(desc, DESC_EPILOGUE, &t.epilogue, 4);
    if (has_bias)
    {
        long long bstride = t.m;
        cublasLtMatmulDescSetAttribute(desc, DESC_BIAS_POINTER, &dbias, 8);
        cublasLtMatmulDescSetAttribute(desc, DESC_BIAS_BATCH_STRIDE, &bstride, 8);
    }
    auto layout = [&](void** l, const Mat& x) {
        cublasLtMatrixLayoutCreate(l, R32F, x.rows, x.cols, x.ld);
        int order = x.row_major ? 1 : 0;
        long long stride = x.stride;
        cublasLtMatrixLayoutSetAttribute(*l, LAYOUT_ORDER, &order, 4);
        cublasLtMatrixLayoutSetAttribute(*l, LAYOUT_BATCH_COUNT, &t.batch, 4);
        cublasLtMatrixLayoutSetAttribute(*l, LAYOUT_STRIDED_BATCH_OFFSET, &stride, 8);
    };
    layout(&la, A);
    layout(&lb, B);
    layout(&ldd, D);
    cublasLtMatmulPreferenceCreate(&pref);
    unsigned long long ws_max = 1 << 20;
    cublasLtMatmulPreferenceSetAttribute(pref, PREF_MAX_WORKSPACE, &ws_max, 8);
    HeuristicResult r[4];
    int n = 0;
    std::string label = "Lt m" + std::to_string(t.m) + " n" + std::to_string(t.n) + " k" + std::to_string(t.k) + " batch" + std::to_string(t.batch) +
                        (t.ta ? " T" : " N") + (t.tb ? "T" : "N") + (t.row_major ? " row" : " col") + " epilogue" + std::to_string(t.epilogue);
    expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ldd, ldd, pref, 4, r, &n), 0, label + " heuristic");
    expect(n >= 1, label + ": at least one algorithm");
    CUdeviceptr ws = 0;
    if (r[0].workspaceSize)
        cuMemAlloc_v2(&ws, r[0].workspaceSize);
    expect_status(cublasLtMatmul(lt, desc, &t.alpha, (void*)da, la, (void*)db, lb, &t.beta, (void*)dd, ldd, (void*)dd, ldd, r[0].algo, (void*)ws,
                                 r[0].workspaceSize, stream),
                  0, label);
    cuStreamSynchronize(stream);
    auto got = download<float>(dd, d.size());
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i)
        worst = std::max(worst, (double)std::fabs(got[i] - expected[i]) / (1 + std::fabs(expected[i])));
    expect(worst < 1e-5, label + ": max relative error " + std::to_string(worst));
    cublasLtMatmulDescDestroy(desc);
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(ldd);
    cublasLtMatmulPreferenceDestroy(pref);
    for (CUdeviceptr p : {da, db, dd, dbias, ws})
        if (p)
            cuMemFree_v2(p);
}
} // namespace

int main()
{
    cuInit(0);
    void* ctx;
    cuDevicePrimaryCtxRetain(&ctx, 0);
    cuCtxSetCurrent(ctx);
    cuStreamCreate(&stream, 0);
    int v = 0;
    expect(cublasLtGetVersion() == 120604, "cublasLtGetVersion 120604");
    cublasLtGetProperty(0, &v);
    expect(v == 12, "cublasLtGetProperty major 12");

    // ---- cuBLASLt object lifecycle (adopt / destroy_live): a NULL out refused, a NULL destroy a no-op, an object of
    // another kind refused (7, INVALID_VALUE), each destroyed by its own kind ----
    {
        void *desc, *layout, *pref;
        expect_status(cublasLtMatrixLayoutCreate(nullptr, R32F, 2, 2, 2), 7, "cublasLtMatrixLayoutCreate(NULL)");
        expect_status(cublasLtMatmulDescCreate(&desc, C32F, R32F), 0, "cublasLtMatmulDescCreate");
        expect_status(cublasLtMatrixLayoutCreate(&layout, R32F, 2, 2, 2), 0, "cublasLtMatrixLayoutCreate");
        expect_status(cublasLtMatmulPreferenceCreate(&pref), 0, "cublasLtMatmulPreferenceCreate");
        expect_status(cublasLtMatmulPreferenceDestroy(nullptr), 0, "cublasLtMatmulPreferenceDestroy(NULL)");
        expect_status(cublasLtMatmulDescDestroy(layout), 7, "a layout destroyed as a matmul descriptor");
        expect_status(cublasLtMatrixLayoutDestroy(pref), 7, "a preference destroyed as a layout");
        expect_status(cublasLtMatmulPreferenceDestroy(desc), 7, "a matmul descriptor destroyed as a preference");
        expect_status(cublasLtMatmulDescDestroy(desc), 0, "cublasLtMatmulDescDestroy");
        expect_status(cublasLtMatrixLayoutDestroy(layout), 0, "cublasLtMatrixLayoutDestroy");
        expect_status(cublasLtMatmulPreferenceDestroy(pref), 0, "cublasLtMatmulPreferenceDestroy");
    }

    // ---- cuBLAS, hand-computed: [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50] (column-major) ----
    void* h;
    expect_status(cublasCreate_v2(&h), 0, "cublasCreate");
    cublasGetVersion_v2(h, &v);
    expect(v == 120604, "cublasGetVersion 120604");
    cublasSetStream_v2(h, stream);
    CUdeviceptr a2 = upload(std::vector<float>{1, 3, 2, 4}), b2 = upload(std::vector<float>{5, 7, 6, 8}), c2 = upload(std::vector<float>{1, 1, 1, 1});
    float one = 1, zero = 0, two = 2, half_ = 0.5f;
    expect_status(cublasSgemm_v2(h, 0, 0, 2, 2, 2, &one, (float*)a2, 2, (float*)b2, 2, &zero, (float*)c2, 2), 0, "Sgemm 2×2");
    auto c = download<float>(c2, 4);
    expect(c == std::vector<float>{19, 43, 22, 50}, "Sgemm 2×2 = [19 22; 43 50]");
    // Aᵀ·B with alpha 2 and beta 0.5 accumulating into the previous C: 2·[1 3; 2 4]·[5 6; 7 8] + 0.5·C = [52+9.5 …]
    expect_status(cublasSgemm_v2(h, 1, 0, 2, 2, 2, &two, (float*)a2, 2, (float*)b2, 2, &half_, (float*)c2, 2), 0, "Sgemm Aᵀ·B, alpha 2, beta 0.5");
    c = download<float>(c2, 4);
    // Aᵀ = [1 3; 2 4]; Aᵀ·B = [26 30; 38 44]; 2· + 0.5·[19 22; 43 50] = [61.5 71; 97.5 113]
    expect(c == std::vector<float>{61.5f, 97.5f, 71, 113}, "Sgemm Aᵀ·B, alpha 2, beta 0.5 = [61.5 71; 97.5 113]");
    // Deferred: nothing runs before the stream is synchronized.
    expect_status(cublasSgemm_v2(h, 0, 0, 2, 2, 2, &one, (float*)a2, 2, (float*)b2, 2, &zero, (float*)c2, 2), 0, "Sgemm again");
    // Refusals (cublasSgemm: "CUBLAS_STATUS_INVALID_VALUE if m, n, k < 0 or lda < max(1, m) …").
    expect_status(cublasSgemm_v2(h, 0, 0, 2, 2, 2, &one, (float*)a2, 1, (float*)b2, 2, &zero, (float*)c2, 2), 7, "Sgemm lda 1 < m 2");
    expect(std::string(cublasGetStatusString(7)).find("lda 1") != std::string::npos, std::string("the status string says why: ") + cublasGetStatusString(7));
    expect_status(cublasSgemm_v2(h, 0, 0, -1, 2, 2, &one, (float*)a2, 2, (float*)b2, 2, &zero, (float*)c2, 2), 7, "Sgemm m < 0");
    expect_status(cublasSgemm_v2(h, 0, 0, 3, 2, 2, &one, (float*)a2, 3, (float*)b2, 2, &zero, (float*)c2, 3), 7, "Sgemm reading past A's allocation");
    expect(std::string(cublasGetStatusString(7)).find("past the end") != std::string::npos, std::string("named: ") + cublasGetStatusString(7));
    expect_status(cublasSgemm_v2(nullptr, 0, 0, 2, 2, 2, &one, (float*)a2, 2, (float*)b2, 2, &zero, (float*)c2, 2), 1, "Sgemm without a handle");
    expect_status(cublasSgemm_v2(h, 5, 0, 2, 2, 2, &one, (float*)a2, 2, (float*)b2, 2, &zero, (float*)c2, 2), 7, "Sgemm transa 5");
    expect_status(cublasGemmEx(h, 0, 0, 2, 2, 2, &one, (void*)a2, R16F, 2, (void*)b2, R16F, 2, &zero, (void*)c2, R32F, 2, C32F_TF32, -1), 15,
                  "GemmEx FAST_TF32 with FP16 inputs: CUBLAS_STATUS_NOT_SUPPORTED");
    expect_status(cublasGemmEx(h, 0, 0, 2, 2, 2, &one, (void*)a2, R32F, 2, (void*)b2, R32F, 2, &zero, (void*)c2, R32F, 2, C32F, 42), 15, "GemmEx algo 42");
    expect_status(cublasSetWorkspace_v2(h, (void*)(a2 + 4), 4), 7, "cublasSetWorkspace: not 256-byte aligned");
    expect_status(cublasSetMathMode(h, 7), 7, "cublasSetMathMode 7");
    expect_status(cublasSetPointerMode_v2(h, 2), 7, "cublasSetPointerMode 2");

    // TF32: 1 + 2^-12 becomes 1; 1 + 2^-11 is a tie and rounds to even (1); 1 + 3·2^-11 rounds to even (1 + 2^-9).
    {
        std::vector<float> x = {1 + std::ldexp(1.0f, -12), 1 + std::ldexp(1.0f, -11), 1 + 3 * std::ldexp(1.0f, -11)};
        CUdeviceptr dx = upload(x), dy = upload(std::vector<float>{1, 1, 1}), dz = upload(std::vector<float>{0, 0, 0});
        // 3×1 · 1×1: z_i = x_i · 1
        cublasGemmEx(h, 0, 0, 3, 1, 1, &one, (void*)dx, R32F, 3, (void*)dy, R32F, 1, &zero, (void*)dz, R32F, 3, C32F_TF32, -1);
        auto z = download<float>(dz, 3);
        expect(z[0] == 1 && z[1] == 1 && z[2] == 1 + std::ldexp(1.0f, -9), "TF32 rounds inputs to 10 mantissa bits, nearest even");
        cublasGemmEx(h, 0, 0, 3, 1, 1, &one, (void*)dx, R32F, 3, (void*)dy, R32F, 1, &zero, (void*)dz, R32F, 3, C32F, -1);
        z = download<float>(dz, 3);
        expect(z == x, "CUBLAS_COMPUTE_32F keeps every bit");
        cublasSetMathMode(h, 3); // CUBLAS_TF32_TENSOR_OP_MATH
        cublasSgemm_v2(h, 0, 0, 3, 1, 1, &one, (float*)dx, 3, (float*)dy, 1, &zero, (float*)dz, 3);
        z = download<float>(dz, 3);
        expect(z[0] == 1, "cublasSgemm under CUBLAS_TF32_TENSOR_OP_MATH uses TF32");
        cublasSetMathMode(h, 0);
    }
    // 16-bit storage, FP32 sums: [1, 2^-11, 2^-11]·[1, 1, 1] = 1 + 2^-10 in FP32 → FP16 0x3c01 (an FP16 accumulator gives 0x3c00).
    {
        CUdeviceptr ha = upload(std::vector<uint16_t>{0x3c00, 0x1000, 0x1000}), hb = upload(std::vector<uint16_t>{0x3c00, 0x3c00, 0x3c00});
        CUdeviceptr hc = upload(std::vector<uint16_t>{0});
        expect_status(cublasGemmEx(h, 0, 0, 1, 1, 3, &one, (void*)ha, R16F, 1, (void*)hb, R16F, 3, &zero, (void*)hc, R16F, 1, C32F, -1), 0, "GemmEx FP16, FP32 sums");
        expect(download<uint16_t>(hc, 1)[0] == 0x3c01, "FP16 storage with FP32 accumulation: 0x3c01");
        uint16_t hone = 0x3c00, hzero = 0;
        expect_status(cublasGemmEx(h, 0, 0, 1, 1, 3, &hone, (void*)ha, R16F, 1, (void*)hb, R16F, 3, &hzero, (void*)hc, R16F, 1, C16F, -1), 0, "GemmEx COMPUTE_16F");
        expect(download<uint16_t>(hc, 1)[0] == 0x3c00, "an FP16 accumulator loses both halves: 0x3c00");
        // BF16: 1 + 2^-8 is a tie in bfloat16 (7 mantissa bits) and rounds to even (1.0) when stored.
        CUdeviceptr ba = upload(std::vector<uint16_t>{0x3f80, 0x3b80}), bb = upload(std::vector<uint16_t>{0x3f80, 0x3f80}), bc = upload(std::vector<uint16_t>{0});
        cublasGemmEx(h, 0, 0, 1, 1, 2, &one, (void*)ba, R16BF, 1, (void*)bb, R16BF, 2, &zero, (void*)bc, R16BF, 1, C32F, -1);
        expect(download<uint16_t>(bc, 1)[0] == 0x3f80, "BF16 output rounds 1 + 2^-8 to even (0x3f80)");
    }
    // Strided batched: 3 products of 2×2 with strides, against the hand result of each.
    {
        std::vector<float> a(12), b(12);
        for (int i = 0; i < 12; ++i)
        {
            a[i] = (float)(i + 1);
            b[i] = (float)(i % 3);
        }
        CUdeviceptr da = upload(a), db = upload(b), dc = upload(std::vector<float>(12, 0));
        expect_status(cublasGemmStridedBatchedEx(h, 0, 0, 2, 2, 2, &one, (void*)da, R32F, 2, 4, (void*)db, R32F, 2, 4, &zero, (void*)dc, R32F, 2, 4, 3, C32F, -1), 0,
                      "GemmStridedBatchedEx");
        auto got = download<float>(dc, 12);
        bool ok = true;
        for (int bt = 0; bt < 3; ++bt)
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j)
                {
                    float s = 0;
                    for (int p = 0; p < 2; ++p)
                        s += a[bt * 4 + p * 2 + i] * b[bt * 4 + j * 2 + p];
                    ok = ok && got[bt * 4 + j * 2 + i] == s;
                }
        expect(ok, "each batch is its own product");
        expect_status(cublasGemmStridedBatchedEx(h, 0, 0, 2, 2, 2, &one, (void*)da, R32F, 2, 5, (void*)db, R32F, 2, 4, &zero, (void*)dc, R32F, 2, 4, 3, C32F, -1), 7,
                      "a stride that reads past A's allocation");
    }

    // ---- cuBLASLt: random products against the reference ----
    void* lt;
    expect_status(cublasLtCreate(&lt), 0, "cublasLtCreate");
    unsigned seed = 1;
    for (unsigned epilogue : {1u, 2u, 4u, 6u})
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                for (int row = 0; row < 2; ++row)
                    lt_random(lt, LtCase{7, 5, 9, 1, (bool)ta, (bool)tb, (bool)row, epilogue, 1.0f, 0.0f, 0}, seed++);
    lt_random(lt, LtCase{6, 4, 5, 3, true, false, false, 6, 0.5f, -1.5f, 2}, seed++);
    lt_random(lt, LtCase{4, 6, 3, 2, false, true, true, 4, 2.0f, 1.0f, 1}, seed++);
    lt_random(lt, LtCase{33, 19, 70, 1, true, false, false, 6, 1.0f, 0.0f, 0}, seed++);

    // ---- cuBLASLt refusals ----
    {
        void *desc, *la, *lb, *ld, *pref;
        cublasLtMatmulDescCreate(&desc, C32F, R32F);
        int32_t t = 1;
        expect_status(cublasLtMatmulDescSetAttribute(desc, DESC_TRANSA, &t, 8), 7, "TRANSA given 8 bytes (it is int32_t)");
        uint64_t e8 = 4;
        expect_status(cublasLtMatmulDescSetAttribute(desc, DESC_EPILOGUE, &e8, 8), 7, "EPILOGUE given 8 bytes (it is uint32_t)");
        expect_status(cublasLtMatmulDescSetAttribute(desc, 9999, &t, 4), 7, "an unknown attribute");
        expect_status(cublasLtMatmulDescSetAttribute(desc, DESC_TRANSA, nullptr, 4), 7, "buf NULL");
        cublasLtMatrixLayoutCreate(&la, R32F, 4, 4, 4);
        cublasLtMatrixLayoutCreate(&lb, R32F, 4, 2, 4);
        cublasLtMatrixLayoutCreate(&ld, R32F, 4, 2, 4);
        cublasLtMatmulPreferenceCreate(&pref);
        int order = 1;
        expect_status(cublasLtMatrixLayoutSetAttribute(la, LAYOUT_ORDER, &order, 8), 7, "ORDER given 8 bytes");
        uint32_t ws32 = 1024;
        expect_status(cublasLtMatmulPreferenceSetAttribute(pref, PREF_MAX_WORKSPACE, &ws32, 4), 7, "MAX_WORKSPACE_BYTES given 4 bytes (it is uint64_t)");
        HeuristicResult r[4];
        int n = 0;
        expect_status(cublasLtMatmulAlgoGetHeuristic((void*)0x1234, desc, la, lb, ld, ld, pref, 4, r, &n), 1, "an uncreated handle: NOT_INITIALIZED");
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 0, r, &n), 7, "requestedAlgoCount 0");
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 4, r, &n), 0, "a 4×4·4×2 product");
        expect(n == 1 && r[0].workspaceSize == 0, "with no workspace allowed (the default), one algorithm without workspace");
        uint64_t ws = 1 << 20;
        cublasLtMatmulPreferenceSetAttribute(pref, PREF_MAX_WORKSPACE, &ws, 8);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 4, r, &n), 0, "with workspace");
        expect(n == 2 && r[0].workspaceSize == 256 && r[1].workspaceSize == 0, "split-K first (256 bytes of workspace), then the plain one");
        HeuristicResult again[4];
        int n2 = 0;
        cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 4, again, &n2);
        expect(n2 == n && std::memcmp(again, r, sizeof(HeuristicResult) * n) == 0, "the heuristic is deterministic");
        CUdeviceptr da = upload(std::vector<float>(20, 1)), db = upload(std::vector<float>(8, 1)), dd = upload(std::vector<float>(8, 0)), dws;
        cuMemAlloc_v2(&dws, 256);
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, r[0].algo, (void*)dws, 255, stream), 7,
                      "a workspace smaller than the algorithm needs");
        expect(std::string(cublasLtGetStatusString(7)).find("workspaceSizeInBytes 255") != std::string::npos, std::string("said: ") + cublasLtGetStatusString(7));
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, r[0].algo, (void*)(dws + 16), 256, stream), 7,
                      "a workspace running past its allocation");
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, r[0].algo, (void*)dws, 256, stream), 0,
                      "split-K with its workspace");
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)(da + 4), la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, r[0].algo, (void*)dws, 256, stream), 15,
                      "A not 16-byte aligned for the split-K algorithm");
        cuStreamSynchronize(stream);
        expect(download<float>(dd, 8) == std::vector<float>(8, 4), "ones·ones = 4");
        // Shapes and leading dimensions.
        void* bad;
        cublasLtMatrixLayoutCreate(&bad, R32F, 4, 2, 3);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, bad, bad, pref, 4, r, &n), 7, "ld 3 < rows 4 (column order)");
        cublasLtMatrixLayoutDestroy(bad);
        cublasLtMatrixLayoutCreate(&bad, R32F, 3, 3, 3);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, bad, ld, ld, pref, 4, r, &n), 7, "B 3×3 where D needs k×2");
        void *a43, *b32;
        cublasLtMatrixLayoutCreate(&a43, R32F, 4, 3, 4);
        cublasLtMatrixLayoutCreate(&b32, R32F, 3, 2, 3);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, a43, b32, ld, ld, pref, 4, r, &n), 0, "4×3·3×2");
        expect(n == 1 && r[0].workspaceSize == 0, "B's ld of 12 bytes rules split-K out");
        expect_status(cublasLtMatmulDescSetAttribute(desc, DESC_TRANSA, &t, 4), 0, "TRANSA = T");
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, a43, b32, ld, ld, pref, 4, r, &n), 7, "A declared transposed but stored m×k");
        t = 0;
        cublasLtMatmulDescSetAttribute(desc, DESC_TRANSA, &t, 4);
        cublasLtMatrixLayoutDestroy(bad);
        // Epilogues: GELU is not emulated; a bias of another type than D is not supported; a NULL bias is invalid.
        uint32_t gelu = 32, bias_epi = 4;
        cublasLtMatmulDescSetAttribute(desc, DESC_EPILOGUE, &gelu, 4);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 4, r, &n), 15, "GELU: NOT_SUPPORTED");
        cublasLtMatmulDescSetAttribute(desc, DESC_EPILOGUE, &bias_epi, 4);
        int32_t bt = R16F;
        cublasLtMatmulDescSetAttribute(desc, DESC_BIAS_DATA_TYPE, &bt, 4);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 4, r, &n), 15, "an FP16 bias with FP32 D");
        bt = R32F;
        cublasLtMatmulDescSetAttribute(desc, DESC_BIAS_DATA_TYPE, &bt, 4);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 4, r, &n), 0, "an FP32 bias");
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, r[1].algo, nullptr, 0, stream), 7,
                      "BIAS epilogue without a bias pointer");
        CUdeviceptr short_bias = upload(std::vector<float>(3, 1));
        cublasLtMatmulDescSetAttribute(desc, DESC_BIAS_POINTER, &short_bias, 8);
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, r[1].algo, nullptr, 0, stream), 7,
                      "a bias of 3 floats for 4 rows of D");
        expect(std::string(cublasLtGetStatusString(7)).find("bias") != std::string::npos, std::string("named: ") + cublasLtGetStatusString(7));
        // FAST_TF32 with FP16 inputs is not a documented combination.
        void *d16, *h16;
        cublasLtMatmulDescCreate(&d16, C32F_TF32, R32F);
        cublasLtMatrixLayoutCreate(&h16, R16F, 4, 4, 4);
        expect_status(cublasLtMatmulAlgoGetHeuristic(lt, d16, h16, lb, ld, ld, pref, 4, r, &n), 15, "FAST_TF32 with an FP16 A");
        // C == D with different layouts.
        void* ld2;
        cublasLtMatrixLayoutCreate(&ld2, R32F, 4, 2, 5);
        uint32_t def = 1;
        cublasLtMatmulDescSetAttribute(desc, DESC_EPILOGUE, &def, 4);
        CUdeviceptr big = upload(std::vector<float>(10, 0));
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &one, (void*)big, ld2, (void*)big, ld, r[1].algo, nullptr, 0, stream), 7,
                      "in place with ldc ≠ ldd");
        // Captured into a graph and replayed: D += A·B twice.
        expect_status(cuStreamBeginCapture_v2(stream, 0), 0, "capture");
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &one, (void*)dd, ld, (void*)dd, ld, r[1].algo, nullptr, 0, stream), 0, "captured matmul");
        void *graph, *exec;
        expect_status(cuStreamEndCapture(stream, &graph), 0, "end capture");
        cuGraphInstantiateWithFlags(&exec, graph, 0);
        cuGraphLaunch(exec, stream);
        cuGraphLaunch(exec, stream);
        cuStreamSynchronize(stream);
        expect(download<float>(dd, 8) == std::vector<float>(8, 12), "the graph replays the matmul: 4 + 4 + 4");
        expect_status(cublasLtDestroy(lt), 0, "cublasLtDestroy");
        expect_status(cublasLtMatmul(lt, desc, &one, (void*)da, la, (void*)db, lb, &zero, (void*)dd, ld, (void*)dd, ld, nullptr, nullptr, 0, stream), 1,
                      "a destroyed handle");
    }
    cublasDestroy_v2(h);
    std::printf("%s: %d cuBLAS/cuBLASLt checks, %d failures\n", failures ? "FAILED" : "OK", checks, failures);
    return failures ? 1 : 0;
}
