using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// The few vector operations a kernel written once for both widths needs (.NET keeps its own common vector interface
/// internal): a kernel generic over <c>TLanes</c> is compiled by the JIT for each width on its own, with the
/// intrinsics inlined, as if written twice.
/// </summary>
internal unsafe interface ILanes<TVector>
    where TVector : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Load(float* source);

    static abstract void Store(TVector value, float* destination);

    /// <summary>Stores past the caches; <paramref name="destination"/> must be aligned to the vector's size.</summary>
    static abstract void StoreNonTemporal(TVector value, float* destination);

    /// <summary>The value in every lane.</summary>
    static abstract TVector Broadcast(float value);

    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a · b + c, rounded once.</summary>
    static abstract TVector Fma(TVector a, TVector b, TVector c);

    /// <summary>
    /// max(v, 0) with NaN passed through, as PyTorch's ReLU: one <c>vmaxps(0, v)</c> (x86 returns the second operand
    /// when either is NaN). .NET's <c>Vector256.Max</c> is IEEE 754-2019 maximum, four instructions here.
    /// </summary>
    static abstract TVector Relu(TVector v);

    /// <summary>
    /// x86's <c>vmaxps(a, b)</c> (the same select elsewhere): a &gt; b ? a : b, so a NaN in <paramref name="b"/> is returned and a NaN in
    /// <paramref name="a"/> is dropped (callers track NaN with <see cref="NaNMask"/>). One instruction, where
    /// .NET's NaN-exact <c>Vector256.Max</c> is eight with a five-deep dependent chain.
    /// </summary>
    static abstract TVector MaxX86(TVector a, TVector b);

    /// <summary>All bits set in the lanes of <paramref name="v"/> that are NaN, zero elsewhere.</summary>
    static abstract TVector NaNMask(TVector v);

    static abstract TVector Or(TVector a, TVector b);
}

/// <summary>256-bit vectors: 8 floats (AVX2).</summary>
internal readonly unsafe struct Lanes8 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector256<float> value, float* destination) => value.StoreAlignedNonTemporal(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> v) => MaxX86(Vector256<float>.Zero, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxX86(Vector256<float> a, Vector256<float> b) =>
        Avx.IsSupported ? Avx.Max(a, b) : Vector256.ConditionalSelect(Vector256.GreaterThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NaNMask(Vector256<float> v) => Vector256.IsNaN(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
}

/// <summary>512-bit vectors: 16 floats (AVX-512).</summary>
internal readonly unsafe struct Lanes16 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector512<float> value, float* destination) => value.StoreAlignedNonTemporal(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> v) => MaxX86(Vector512<float>.Zero, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxX86(Vector512<float> a, Vector512<float> b) =>
        Avx512F.IsSupported ? Avx512F.Max(a, b) : Vector512.ConditionalSelect(Vector512.GreaterThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NaNMask(Vector512<float> v) => Vector512.IsNaN(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
}
