/*
 * The BF16 GEMM micro-kernel of the CPU backend (src/CudaGenre.Engine/Cpu/Bf16Gemm.cs), in C because .NET has no
 * AVX512_BF16 intrinsics. tools/gen-bf16-kernel.sh compiles it and copies the machine code into
 * Bf16KernelCode.g.cs; the engine maps those bytes executable and calls them. So this must stay one leaf function
 * with no calls, no data outside the stack and no relocations (the script refuses an object that has any).
 *
 * C[rows, columns] (+)= A[MR, 2·pairs] · B[2·pairs, columns], FP32 sums of BF16 products (VDPBF16PS).
 *   a: MR rows of BF16 k-pairs, row r at a + r·A_ROW_PAIRS (one dword = elements 2p (low half) and 2p+1 (high half)).
 *   b: a panel of 16 columns, `pairs` rows of 16 dwords (one zmm each); the next 16 columns at b + panel_stride.
 *   c: row-major with row stride ldc floats; only rows < `rows` and columns < `columns` (1..32) are read or written.
 *   accumulate: nonzero adds to C (the accumulators start from C), zero overwrites it.
 * The register tile is MR × 32: 2·MR accumulators + 2 B vectors, A broadcast from memory ({1to16}).
 */
#include <immintrin.h>
#include <stdint.h>

#define MR 12
#define A_ROW_PAIRS 128

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

void cudagenre_bf16_kernel(long pairs, const uint32_t *a, const uint32_t *b, long panel_stride,
                           float *c, long ldc, long rows, long columns, long accumulate)
{
    const __mmask16 m0 = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    const __mmask16 m1 = columns >= 32 ? (__mmask16)0xFFFF : columns <= 16 ? 0 : (__mmask16)((1u << (columns - 16)) - 1);
#define DECL(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROWS(DECL)
    if (accumulate) {
#define LOAD(r) if (r < rows) { c##r##0 = _mm512_maskz_loadu_ps(m0, c + r * ldc); c##r##1 = _mm512_maskz_loadu_ps(m1, c + r * ldc + 16); }
        ROWS(LOAD)
    }
    if (columns > 16) {
        const uint32_t *b1 = b + panel_stride;
        for (long p = 0; p < pairs; p++) {
            const __m512bh b0v = (__m512bh)_mm512_loadu_si512(b + p * 16);
            const __m512bh b1v = (__m512bh)_mm512_loadu_si512(b1 + p * 16);
#define STEP2(r) { const __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[r * A_ROW_PAIRS + p]); \
                   c##r##0 = _mm512_dpbf16_ps(c##r##0, av, b0v); c##r##1 = _mm512_dpbf16_ps(c##r##1, av, b1v); }
            ROWS(STEP2)
        }
    } else {
        for (long p = 0; p < pairs; p++) {
            const __m512bh b0v = (__m512bh)_mm512_loadu_si512(b + p * 16);
#define STEP1(r) { const __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[r * A_ROW_PAIRS + p]); \
                   c##r##0 = _mm512_dpbf16_ps(c##r##0, av, b0v); }
            ROWS(STEP1)
        }
    }
#define STORE(r) if (r < rows) { _mm512_mask_storeu_ps(c + r * ldc, m0, c##r##0); _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c##r##1); }
    ROWS(STORE)
}
