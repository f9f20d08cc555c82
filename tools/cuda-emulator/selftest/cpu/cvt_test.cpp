// cvt_test.cpp — the shim's emulations of precision.cuh's PTX conversions (cuda_cpu_device.h) against
// references written another way: real arithmetic on doubles (ldexp / nearbyint, which rounds to nearest even),
// not bit manipulation. Every f16 → f32; f32 → f16/bf16 on special values, around every rounding boundary, and
// on random bit patterns.
#include "selftest.h"

#include <cfenv>
#include <cmath>
#include <random>

namespace selftest
{
namespace
{
// The 16-bit result of rounding |x| (not NaN) to `mantissa_bits` bits with exponents down to `min_exponent`
// (the format's subnormals below), overflowing at `overflow`; the format's exponent bias is `bias`.
std::uint16_t reference_round(float x, int mantissa_bits, int min_exponent, int bias, double overflow)
{
    const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    const double a = std::fabs(static_cast<double>(x));
    const std::uint16_t infinity = static_cast<std::uint16_t>((2 * bias + 1) << mantissa_bits);
    if (a >= overflow)
        return sign | infinity;
    int e = 0;
    std::frexp(a, &e); // a = m·2^e, m in [0.5, 1): the leading bit has weight 2^(e-1)
    const int quantum = std::max(e - 1, min_exponent) - mantissa_bits;
    double units = std::nearbyint(std::ldexp(a, -quantum)); // exact scaling, then round to nearest even
    if (units == 0)
        return sign;
    if (quantum == min_exponent - mantissa_bits) // subnormals and the lowest binade: the bits count the units
        return static_cast<std::uint16_t>(sign | static_cast<int>(units));
    int biased = quantum + mantissa_bits + bias;
    if (units == std::ldexp(1.0, mantissa_bits + 1)) // rounded up to the next binade
    {
        units /= 2;
        ++biased;
    }
    return static_cast<std::uint16_t>(sign | (biased << mantissa_bits) | (static_cast<int>(units) - (1 << mantissa_bits)));
}

std::uint32_t bits(float f)
{
    return __builtin_bit_cast(std::uint32_t, f);
}

std::string hex(std::uint32_t v)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", v);
    return text;
}

int mismatches = 0;

void compare(float x)
{
    const std::uint16_t h = cg_emu::cvt_rn_f16_f32(x), h_ref = reference_f32_to_f16(x);
    const std::uint16_t b = cg_emu::cvt_rn_bf16_f32(x), b_ref = reference_f32_to_bf16(x);
    if ((h != h_ref || b != b_ref) && ++mismatches <= 10)
        check(false, "cvt.rn of " + hex(bits(x)) + ": f16 " + hex(h) + " (reference " + hex(h_ref) + "), bf16 " + hex(b) +
                         " (reference " + hex(b_ref) + ")");
}

// x and its neighbours up to 3 ulps away on both sides.
void compare_around(float x)
{
    for (int d = -3; d <= 3; ++d)
    {
        const float y = __builtin_bit_cast(float, bits(x) + static_cast<std::uint32_t>(d));
        compare(y);
        compare(-y);
    }
}
} // namespace

float reference_f16_to_f32(std::uint16_t h)
{
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0x1f && mantissa != 0)
        return __builtin_bit_cast(float, 0x7fffffffu); // the device's canonical NaN
    const double magnitude = exponent == 0x1f ? INFINITY
                           : exponent == 0    ? std::ldexp(mantissa, -24)
                                              : std::ldexp(1024 + mantissa, exponent - 25);
    return static_cast<float>((h & 0x8000) != 0 ? -magnitude : magnitude);
}

float reference_bf16_to_f32(std::uint16_t b)
{
    return __builtin_bit_cast(float, static_cast<std::uint32_t>(b) << 16);
}

std::uint16_t reference_f32_to_f16(float x)
{
    return std::isnan(x) ? 0x7fff : reference_round(x, 10, -14, 15, 65520.0);
}

std::uint16_t reference_f32_to_bf16(float x)
{
    return std::isnan(x) ? 0x7fff : reference_round(x, 7, -126, 127, std::ldexp(2.0 - std::ldexp(1.0, -8), 127));
}

void test_conversions()
{
    std::fesetround(FE_TONEAREST);
    int f16_mismatches = 0;
    for (std::uint32_t h = 0; h < 0x10000; ++h)
    {
        const float f = cg_emu::cvt_f32_f16(static_cast<std::uint16_t>(h));
        const float r = reference_f16_to_f32(static_cast<std::uint16_t>(h));
        if (bits(f) != bits(r) && ++f16_mismatches <= 10)
            check(false, "cvt.f32.f16 of " + hex(h) + ": " + hex(bits(f)) + ", reference " + hex(bits(r)));
    }
    std::printf("  all 65536 f16 → f32: %d mismatches\n", f16_mismatches);

    mismatches = 0;
    long long compared = 0;
    const float specials[] = {0.0f, INFINITY, NAN, 1.0f, 65504.0f, 65520.0f, 65536.0f, 3.3895314e38f, 3.4028235e38f,
                              6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f, 1.1754944e-38f, 1.4e-45f,
                              __builtin_bit_cast(float, 0x7f800001u), __builtin_bit_cast(float, 0x7fc00000u),
                              __builtin_bit_cast(float, 0x7fffffffu), __builtin_bit_cast(float, 0x7f7f8000u)};
    for (float s : specials)
        compare_around(s), compared += 14;
    // Every f16 value and the midpoint to the next one (the tie), with neighbours; 65536 stands for the value
    // after the largest finite half.
    for (std::uint32_t h = 0; h < 0x7c00; ++h)
    {
        const double value = reference_f16_to_f32(static_cast<std::uint16_t>(h));
        const double next = h == 0x7bff ? 65536.0 : reference_f16_to_f32(static_cast<std::uint16_t>(h + 1));
        compare_around(static_cast<float>(value));
        compare_around(static_cast<float>((value + next) / 2));
        compared += 28;
    }
    // The same for bf16: its ties are the f32 patterns ending in 0x8000.
    for (std::uint32_t b = 0; b < 0x7f80; ++b)
    {
        compare_around(__builtin_bit_cast(float, b << 16));
        compare_around(__builtin_bit_cast(float, (b << 16) | 0x8000u));
        compared += 28;
    }
    std::mt19937 random(20261205);
    for (int i = 0; i < 3000000; ++i)
        compare(__builtin_bit_cast(float, static_cast<std::uint32_t>(random())));
    compared += 3000000;
    std::printf("  f32 → f16 and → bf16 on %lld values (specials, every rounding boundary ±3 ulps, random bits): %d mismatches\n",
                compared, mismatches);
    check(mismatches == 0, "f32 → f16/bf16 conversions match the reference");
}
} // namespace selftest
