using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Benchmarks;

/// <summary><c>kernels</c>: register-tile variants on hot caches (experiment, not the engine's code).</summary>
internal static unsafe class KernelVariants
{
    public static void Run()
    {
        const int kc = 256;
        var a = (float*)NativeMemory.AlignedAlloc(16 * kc * 4, 64);
        var b = (float*)NativeMemory.AlignedAlloc(2 * 16 * kc * 4, 64);
        var c = (float*)NativeMemory.AlignedAlloc(16 * 64 * 4, 64);
        var rnd = new Random(1);
        for (var i = 0; i < 16 * kc; i++) a[i] = (float)rnd.NextDouble();
        for (var i = 0; i < 32 * kc; i++) b[i] = (float)rnd.NextDouble();
        Measure("6x16 ymm (engine)", 6 * 16, () => K6x16Ymm(kc, a, b, c, 64));
        Measure("6x32 zmm", 6 * 32, () => KZmm6(kc, a, b, b + 16 * kc, c, 64));
        Measure("8x32 zmm", 8 * 32, () => KZmm8(kc, a, b, b + 16 * kc, c, 64));
        Measure("12x32 zmm", 12 * 32, () => KZmm12(kc, a, b, b + 16 * kc, c, 64));
        Measure("14x32 zmm", 14 * 32, () => KZmm14(kc, a, b, b + 16 * kc, c, 64));
        Measure("7x32 zmm", 7 * 32, () => KZmm7(kc, a, b, b + 16 * kc, c, 64));
        Measure("12x16 zmm", 12 * 16, () => KZmm12x16(kc, a, b, c, 64));
    }

    private static void Measure(string name, int outputs, Action kernel)
    {
        const int kc = 256;
        var calls = 20000;
        for (var i = 0; i < 2000; i++) kernel();
        var best = double.MaxValue;
        for (var r = 0; r < 5; r++)
        {
            var t0 = GemmShapes.ThreadSecondsPublic();
            for (var i = 0; i < calls; i++) kernel();
            best = Math.Min(best, (GemmShapes.ThreadSecondsPublic() - t0) / calls);
        }
        var gflops = 2.0 * outputs * kc / best / 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-20} {gflops,6:F1} GFLOP/s {100 * gflops / PeakFlops.Estimate(1, 50),5:F1} % of the measured one-core peak"));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void K6x16Ymm(int kc, float* a, float* b, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8);
            var v = Vector256.Create(a[k]); c00 = Vector256.FusedMultiplyAdd(v, b0, c00); c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
            v = Vector256.Create(a[kc + k]); c10 = Vector256.FusedMultiplyAdd(v, b0, c10); c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
            v = Vector256.Create(a[2 * kc + k]); c20 = Vector256.FusedMultiplyAdd(v, b0, c20); c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
            v = Vector256.Create(a[3 * kc + k]); c30 = Vector256.FusedMultiplyAdd(v, b0, c30); c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
            v = Vector256.Create(a[4 * kc + k]); c40 = Vector256.FusedMultiplyAdd(v, b0, c40); c41 = Vector256.FusedMultiplyAdd(v, b1, c41);
            v = Vector256.Create(a[5 * kc + k]); c50 = Vector256.FusedMultiplyAdd(v, b0, c50); c51 = Vector256.FusedMultiplyAdd(v, b1, c51);
            b += 16;
        }
        c00.Store(c); c01.Store(c + 8); c10.Store(c + ldc); c11.Store(c + ldc + 8); c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8); c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8); c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }

    // A packed k-major here ("a[k * MR + r]"), the layout that lets one pointer walk A.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void KZmm6(int kc, float* a, float* p0, float* p1, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(p0); var b1 = Vector512.Load(p1);
            var v = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            p0 += 16; p1 += 16; a += 6;
        }
        c00.Store(c); c01.Store(c + 16); c10.Store(c + ldc); c11.Store(c + ldc + 16); c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void KZmm7(int kc, float* a, float* p0, float* p1, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(p0); var b1 = Vector512.Load(p1);
            var v = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            v = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v, b0, c60); c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
            p0 += 16; p1 += 16; a += 7;
        }
        c00.Store(c); c01.Store(c + 16); c10.Store(c + ldc); c11.Store(c + ldc + 16); c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void KZmm8(int kc, float* a, float* p0, float* p1, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(p0); var b1 = Vector512.Load(p1);
            var v = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            v = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v, b0, c60); c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
            v = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v, b0, c70); c71 = Vector512.FusedMultiplyAdd(v, b1, c71);
            p0 += 16; p1 += 16; a += 8;
        }
        c00.Store(c); c01.Store(c + 16); c10.Store(c + ldc); c11.Store(c + ldc + 16); c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16); c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void KZmm12(int kc, float* a, float* p0, float* p1, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(p0); var b1 = Vector512.Load(p1);
            var v = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            v = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v, b0, c60); c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
            v = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v, b0, c70); c71 = Vector512.FusedMultiplyAdd(v, b1, c71);
            v = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(v, b0, c80); c81 = Vector512.FusedMultiplyAdd(v, b1, c81);
            v = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(v, b0, c90); c91 = Vector512.FusedMultiplyAdd(v, b1, c91);
            v = Vector512.Create(a[10]); ca0 = Vector512.FusedMultiplyAdd(v, b0, ca0); ca1 = Vector512.FusedMultiplyAdd(v, b1, ca1);
            v = Vector512.Create(a[11]); cb0 = Vector512.FusedMultiplyAdd(v, b0, cb0); cb1 = Vector512.FusedMultiplyAdd(v, b1, cb1);
            p0 += 16; p1 += 16; a += 12;
        }
        c00.Store(c); c01.Store(c + 16); c10.Store(c + ldc); c11.Store(c + ldc + 16); c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16); c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
        c80.Store(c + 8 * ldc); c81.Store(c + 8 * ldc + 16); c90.Store(c + 9 * ldc); c91.Store(c + 9 * ldc + 16);
        ca0.Store(c + 10 * ldc); ca1.Store(c + 10 * ldc + 16); cb0.Store(c + 11 * ldc); cb1.Store(c + 11 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void KZmm14(int kc, float* a, float* p0, float* p1, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        Vector512<float> cc0 = default, cc1 = default, cd0 = default, cd1 = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(p0); var b1 = Vector512.Load(p1);
            var v = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            v = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(v, b0, c60); c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
            v = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(v, b0, c70); c71 = Vector512.FusedMultiplyAdd(v, b1, c71);
            v = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(v, b0, c80); c81 = Vector512.FusedMultiplyAdd(v, b1, c81);
            v = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(v, b0, c90); c91 = Vector512.FusedMultiplyAdd(v, b1, c91);
            v = Vector512.Create(a[10]); ca0 = Vector512.FusedMultiplyAdd(v, b0, ca0); ca1 = Vector512.FusedMultiplyAdd(v, b1, ca1);
            v = Vector512.Create(a[11]); cb0 = Vector512.FusedMultiplyAdd(v, b0, cb0); cb1 = Vector512.FusedMultiplyAdd(v, b1, cb1);
            v = Vector512.Create(a[12]); cc0 = Vector512.FusedMultiplyAdd(v, b0, cc0); cc1 = Vector512.FusedMultiplyAdd(v, b1, cc1);
            v = Vector512.Create(a[13]); cd0 = Vector512.FusedMultiplyAdd(v, b0, cd0); cd1 = Vector512.FusedMultiplyAdd(v, b1, cd1);
            p0 += 16; p1 += 16; a += 14;
        }
        c00.Store(c); c01.Store(c + 16); c10.Store(c + ldc); c11.Store(c + ldc + 16); c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16); c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
        c80.Store(c + 8 * ldc); c81.Store(c + 8 * ldc + 16); c90.Store(c + 9 * ldc); c91.Store(c + 9 * ldc + 16);
        ca0.Store(c + 10 * ldc); ca1.Store(c + 10 * ldc + 16); cb0.Store(c + 11 * ldc); cb1.Store(c + 11 * ldc + 16);
        cc0.Store(c + 12 * ldc); cc1.Store(c + 12 * ldc + 16); cd0.Store(c + 13 * ldc); cd1.Store(c + 13 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void KZmm12x16(int kc, float* a, float* p0, float* c, int ldc)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, ca = default, cb = default;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(p0);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0); c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2); c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4); c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6); c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            c8 = Vector512.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8); c9 = Vector512.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
            ca = Vector512.FusedMultiplyAdd(Vector512.Create(a[10]), b0, ca); cb = Vector512.FusedMultiplyAdd(Vector512.Create(a[11]), b0, cb);
            p0 += 16; a += 12;
        }
        c0.Store(c); c1.Store(c + ldc); c2.Store(c + 2 * ldc); c3.Store(c + 3 * ldc); c4.Store(c + 4 * ldc); c5.Store(c + 5 * ldc);
        c6.Store(c + 6 * ldc); c7.Store(c + 7 * ldc); c8.Store(c + 8 * ldc); c9.Store(c + 9 * ldc); ca.Store(c + 10 * ldc); cb.Store(c + 11 * ldc);
    }
}
