using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
unsafe {
Console.WriteLine($"Vector<float>.Count={Vector<float>.Count} V128acc={Vector128.IsHardwareAccelerated} V256acc={Vector256.IsHardwareAccelerated} V512acc={Vector512.IsHardwareAccelerated}");
Console.WriteLine($"Avx={Avx.IsSupported} Avx2={Avx2.IsSupported} Fma={Fma.IsSupported} Avx512F={Avx512F.IsSupported} Sse42={Sse42.IsSupported}");
var a = new float[4096]; var b = new float[4096];
for (int i = 0; i < a.Length; i++) { a[i] = i * 0.001f; b[i] = 1f - i * 0.0001f; }
fixed (float* pa = a, pb = b) {
  for (int rep = 0; rep < 2; rep++) {
  var sw = Stopwatch.StartNew(); float r1 = 0;
  for (int it = 0; it < 2000; it++) r1 += DotV256(pa, pb, a.Length);
  var t1 = sw.Elapsed.TotalMilliseconds; sw.Restart(); float r2 = 0;
  for (int it = 0; it < 2000; it++) r2 += DotFma(pa, pb, a.Length);
  var t2 = sw.Elapsed.TotalMilliseconds;
  Console.WriteLine($"Vector256 path {t1:F1} ms ({r1}); Fma/Avx guarded path {t2:F1} ms ({r2})");
  }
}
}
[MethodImpl(MethodImplOptions.NoInlining)]
static unsafe float DotV256(float* a, float* b, int n) {
  var s = Vector256<float>.Zero;
  for (int i = 0; i < n; i += 8) s = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s);
  return Vector256.Sum(s);
}
[MethodImpl(MethodImplOptions.NoInlining)]
static unsafe float DotFma(float* a, float* b, int n) {
  if (Fma.IsSupported) {
    var s = Vector256<float>.Zero;
    for (int i = 0; i < n; i += 8) s = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), s);
    var t = Avx.Add(s, Avx.Permute2x128(s, s, 1));
    float r = 0; for (int j = 0; j < 4; j++) r += t.GetElement(j); return r;
  }
  float q = 0; for (int i = 0; i < n; i++) q = MathF.FusedMultiplyAdd(a[i], b[i], q); return q;
}
