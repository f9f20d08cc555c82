// kernel_test.cpp — the project's kernels (kernels/*.cu, compiled for the CPU exactly as in libcuda.so.1) on
// seeded random data against C++ references written here from the definitions at the top of each file, bit for
// bit as kernels/README.md says the GPU matches its twin (a NaN matches any NaN). Outputs start as 0xFF bytes, so an element never
// written shows as a NaN; inputs are exact-size heap buffers, so a read past one is an AddressSanitizer error.
#include "selftest.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace selftest
{
namespace
{
// Storage types: how the references load and store them (precision.cuh: exact loads, RNE stores).
struct F32
{
    using Bits = float;
    static constexpr const char* name = "f32";
    static float load(float v) { return v; }
    static float store(float v) { return v; }
    static constexpr float poison() { return __builtin_bit_cast(float, 0xffffffffu); }
};

struct F16
{
    using Bits = std::uint16_t;
    static constexpr const char* name = "f16";
    static float load(Bits b) { return reference_f16_to_f32(b); }
    static Bits store(float v) { return reference_f32_to_f16(v); }
    static constexpr Bits poison() { return 0xffff; }
};

struct BF16
{
    using Bits = std::uint16_t;
    static constexpr const char* name = "bf16";
    static float load(Bits b) { return reference_bf16_to_f32(b); }
    static Bits store(float v) { return reference_f32_to_bf16(v); }
    static constexpr Bits poison() { return 0xffff; }
};

std::mt19937 rng(7);

float relu(float v)
{
    return v < 0.0f ? 0.0f : v;
}

std::vector<float> random_floats(std::size_t count, float low = -2.0f, float high = 2.0f)
{
    std::uniform_real_distribution<float> value(low, high);
    std::vector<float> v(count);
    for (float& f : v)
        do
            f = value(rng);
        while (f == 0.0f);
    return v;
}

template <class S>
std::vector<typename S::Bits> random_tensor(std::size_t count)
{
    std::vector<typename S::Bits> v(count);
    const std::vector<float> f = random_floats(count);
    for (std::size_t i = 0; i < count; ++i)
        v[i] = S::store(f[i]);
    return v;
}

std::string name_of(const std::string& base, const char* type)
{
    return base + "_" + type;
}

// Bit-for-bit comparison (a NaN matches any NaN); reports the first difference.
template <class S>
bool same_bits(const std::vector<typename S::Bits>& got, const std::vector<typename S::Bits>& want, const std::string& what)
{
    for (std::size_t i = 0; i < want.size(); ++i)
    {
        const float g = S::load(got[i]), w = S::load(want[i]);
        const bool same = std::isnan(g) ? std::isnan(w) : __builtin_bit_cast(std::uint32_t, g) == __builtin_bit_cast(std::uint32_t, w);
        if (!same)
        {
            char text[160];
            std::snprintf(text, sizeof text, ": y[%zu] = %.9g (0x%08x), reference %.9g (0x%08x)", i, g,
                          __builtin_bit_cast(std::uint32_t, g), w, __builtin_bit_cast(std::uint32_t, w));
            return check(false, what + text);
        }
    }
    return true;
}

// Element (n, c, h, w) of an NHWC tensor, the kernels' layout.
long long at(int n, int c, int h, int w, int channels, int height, int width)
{
    return ((static_cast<long long>(n) * height + h) * width + w) * channels + c;
}

struct Conv
{
    int n, c, h, w, stride, relu_input, relu_output;
    bool bias;
    int out_h() const { return (h - 1) / stride + 1; }
    int out_w() const { return (w - 1) / stride + 1; }
};

// depthwise_conv3x3.cu's definition: taps kh outer, kw inner, fmaf, then bias, then ReLU, then one rounding.
template <class S>
float depthwise_value(const Conv& s, const std::vector<typename S::Bits>& x, const std::vector<typename S::Bits>& w,
                      const float* bias, int n, int c, int oh, int ow, bool relu_input, bool relu_output)
{
    float acc = 0.0f;
    for (int kh = 0; kh < 3; ++kh)
        for (int kw = 0; kw < 3; ++kw)
        {
            const int ih = oh * s.stride - 1 + kh, iw = ow * s.stride - 1 + kw;
            if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w)
                continue;
            float v = S::load(x[at(n, c, ih, iw, s.c, s.h, s.w)]);
            if (relu_input)
                v = relu(v);
            acc = std::fma(S::load(w[c * 9 + kh * 3 + kw]), v, acc);
        }
    if (bias != nullptr)
        acc += bias[c];
    return relu_output ? relu(acc) : acc;
}

template <class S>
void test_depthwise()
{
    using Bits = typename S::Bits;
    for (const Conv s : {Conv{2, 36, 9, 11, 1, 1, 0, true}, Conv{2, 36, 9, 11, 2, 0, 1, false}})
    {
        const auto x = random_tensor<S>(static_cast<std::size_t>(s.n) * s.c * s.h * s.w);
        const auto w = random_tensor<S>(static_cast<std::size_t>(s.c) * 9);
        const std::vector<float> bias = random_floats(s.c);
        const float* b = s.bias ? bias.data() : nullptr;
        for (const char* variant : {"depthwise3x3_nhwc", "depthwise3x3w4_nhwc", "depthwise3x3v4_nhwc", "depthwise3x3tile_nhwc"})
        {
            std::vector<Bits> want(static_cast<std::size_t>(s.n) * s.c * s.out_h() * s.out_w());
            for (int n = 0; n < s.n; ++n)
                for (int c = 0; c < s.c; ++c)
                    for (int oh = 0; oh < s.out_h(); ++oh)
                        for (int ow = 0; ow < s.out_w(); ++ow)
                            want[at(n, c, oh, ow, s.c, s.out_h(), s.out_w())] =
                                S::store(depthwise_value<S>(s, x, w, b, n, c, oh, ow, s.relu_input, s.relu_output));
            std::vector<Bits> y(want.size(), S::poison());
            const std::string name = name_of(variant, S::name);
            const std::string error = launch(name.c_str(), {4, 1, 1}, {256, 1, 1}, static_cast<const Bits*>(x.data()),
                                             static_cast<const Bits*>(w.data()), b, y.data(), s.n, s.c, s.h, s.w, s.stride,
                                             s.relu_input, s.relu_output);
            const std::string what = name + " stride " + std::to_string(s.stride);
            if (check(error.empty(), what + ": " + error) && same_bits<S>(y, want, what))
                std::printf("  ok   %s: %zu outputs bit for bit\n", what.c_str(), want.size());
        }
    }
}

// separable_conv3x3.cu's definition: the depthwise value rounded to T, then the 1×1 sum over ascending channels.
template <class S>
void test_separable()
{
    using Bits = typename S::Bits;
    const int k_out = 70;
    for (int stride : {1, 2})
    {
        const Conv s{2, 20, 7, 9, stride, 1, 0, stride == 1};
        const int relu_mid = stride == 2, relu_output = stride == 1;
        const bool in_place = stride == 2; // residual may be y itself
        const auto x = random_tensor<S>(static_cast<std::size_t>(s.n) * s.c * s.h * s.w);
        const auto dw = random_tensor<S>(static_cast<std::size_t>(s.c) * 9);
        const auto pw = random_tensor<S>(static_cast<std::size_t>(k_out) * s.c);
        const std::vector<float> dw_bias = random_floats(s.c), pw_bias = random_floats(k_out);
        const long long pixels = static_cast<long long>(s.n) * s.out_h() * s.out_w();
        const auto residual = random_tensor<S>(static_cast<std::size_t>(pixels) * k_out);
        std::vector<Bits> want(residual.size());
        for (int n = 0; n < s.n; ++n)
            for (int oh = 0; oh < s.out_h(); ++oh)
                for (int ow = 0; ow < s.out_w(); ++ow)
                {
                    const long long p = (static_cast<long long>(n) * s.out_h() + oh) * s.out_w() + ow;
                    std::vector<float> d(s.c);
                    for (int c = 0; c < s.c; ++c)
                        d[c] = S::load(S::store(depthwise_value<S>(s, x, dw, s.bias ? dw_bias.data() : nullptr, n, c, oh, ow,
                                                                   s.relu_input, relu_mid)));
                    for (int k = 0; k < k_out; ++k)
                    {
                        float acc = 0.0f;
                        for (int c = 0; c < s.c; ++c)
                            acc = std::fma(d[c], S::load(pw[static_cast<std::size_t>(k) * s.c + c]), acc);
                        acc += pw_bias[k];
                        acc += S::load(residual[p * k_out + k]);
                        want[p * k_out + k] = S::store(relu_output ? relu(acc) : acc);
                    }
                }
        std::vector<Bits> y = in_place ? residual : std::vector<Bits>(want.size(), S::poison());
        const Bits* r = in_place ? y.data() : residual.data();
        const std::string name = name_of("separable3x3_nhwc", S::name);
        const std::string error = launch(name.c_str(), {3, 1, 1}, {256, 1, 1}, static_cast<const Bits*>(x.data()),
                                         static_cast<const Bits*>(dw.data()), s.bias ? static_cast<const float*>(dw_bias.data()) : nullptr,
                                         static_cast<const Bits*>(pw.data()), static_cast<const float*>(pw_bias.data()), r, y.data(),
                                         s.n, s.c, s.h, s.w, k_out, s.stride, s.relu_input, relu_mid, relu_output);
        const std::string what = name + " stride " + std::to_string(stride) + (in_place ? " (residual = y)" : "");
        if (check(error.empty(), what + ": " + error) && same_bits<S>(y, want, what))
            std::printf("  ok   %s: %zu outputs bit for bit\n", what.c_str(), want.size());
    }
}

// pooling.cu's max pool: −inf start, taps kh outer, kw inner, a NaN wins.
template <class S>
void test_maxpool()
{
    using Bits = typename S::Bits;
    const int n_batch = 2, channels = 5, height = 9, width = 11;
    struct Window
    {
        int kernel, stride, pad;
    };
    for (const auto [kernel, stride, pad] : {Window{3, 2, 1}, Window{2, 2, 0}})
    {
        auto x = random_tensor<S>(static_cast<std::size_t>(n_batch) * channels * height * width);
        for (std::size_t i = 17; i < x.size(); i += 97)
            x[i] = S::store(NAN);
        const int out_h = (height + 2 * pad - kernel) / stride + 1, out_w = (width + 2 * pad - kernel) / stride + 1;
        std::vector<Bits> want(static_cast<std::size_t>(n_batch) * channels * out_h * out_w);
        for (int n = 0; n < n_batch; ++n)
            for (int c = 0; c < channels; ++c)
                for (int oh = 0; oh < out_h; ++oh)
                    for (int ow = 0; ow < out_w; ++ow)
                    {
                        float m = -INFINITY;
                        for (int kh = 0; kh < kernel; ++kh)
                            for (int kw = 0; kw < kernel; ++kw)
                            {
                                const int ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                                if (ih < 0 || ih >= height || iw < 0 || iw >= width)
                                    continue;
                                const float v = S::load(x[at(n, c, ih, iw, channels, height, width)]);
                                if (v > m || std::isnan(v))
                                    m = v;
                            }
                        want[at(n, c, oh, ow, channels, out_h, out_w)] = S::store(m);
                    }
        std::vector<Bits> y(want.size(), S::poison());
        const std::string name = name_of("maxpool2d_nhwc", S::name);
        const std::string error = launch(name.c_str(), {2, 1, 1}, {256, 1, 1}, static_cast<const Bits*>(x.data()), y.data(),
                                         n_batch, channels, height, width, kernel, stride, pad);
        const std::string what = name + " " + std::to_string(kernel) + "×" + std::to_string(kernel) + " s" +
                                 std::to_string(stride) + " p" + std::to_string(pad) + " with NaNs";
        if (check(error.empty(), what + ": " + error) && same_bits<S>(y, want, what))
            std::printf("  ok   %s: %zu outputs bit for bit\n", what.c_str(), want.size());
    }
}

// global_avgpool: sums p = 0 … HW−1 in order, then one division and one rounding (bit for bit).
template <class S>
void test_avgpool()
{
    using Bits = typename S::Bits;
    const int n_batch = 3, channels = 37, spatial = 19 * 23;
    const auto x = random_tensor<S>(static_cast<std::size_t>(n_batch) * channels * spatial);
    std::vector<Bits> want(static_cast<std::size_t>(n_batch) * channels);
    for (int n = 0; n < n_batch; ++n)
        for (int c = 0; c < channels; ++c)
        {
            float sum = 0.0f;
            for (int p = 0; p < spatial; ++p)
                sum += S::load(x[(static_cast<std::size_t>(n) * spatial + p) * channels + c]);
            want[n * channels + c] = S::store(sum / static_cast<float>(spatial));
        }
    std::vector<Bits> y(want.size(), S::poison());
    const std::string name = name_of("global_avgpool_nhwc", S::name);
    const std::string error = launch(name.c_str(), {3, 1, 1}, {256, 1, 1}, static_cast<const Bits*>(x.data()), y.data(),
                                     n_batch, channels, spatial);
    if (check(error.empty(), name + ": " + error) && same_bits<S>(y, want, name))
        std::printf("  ok   %s: %zu outputs bit for bit\n", name.c_str(), want.size());
}

// convert.cu on every kind of f32 (random bit patterns: NaNs, infinities, subnormals, overflow) and every 16-bit
// pattern: the exact bits, canonical NaNs included.
template <class S>
void test_convert()
{
    using Bits = typename S::Bits;
    const int n_batch = 2, channels = 3, spatial = 40 * 41;
    std::vector<float> x(static_cast<std::size_t>(n_batch) * channels * spatial);
    for (float& f : x)
        f = __builtin_bit_cast(float, static_cast<std::uint32_t>(rng()));
    {
        std::vector<Bits> want(x.size()), y(x.size(), S::poison());
        for (int n = 0; n < n_batch; ++n)
            for (int c = 0; c < channels; ++c)
                for (int p = 0; p < spatial; ++p)
                    want[(static_cast<std::size_t>(n) * spatial + p) * channels + c] = S::store(x[(static_cast<std::size_t>(n) * channels + c) * spatial + p]);
        const std::string name = name_of("input_nhwc", S::name);
        const std::string error = launch(name.c_str(), {4, 1, 1}, {256, 1, 1}, static_cast<const float*>(x.data()), y.data(), n_batch, channels, spatial);
        if (check(error.empty(), name + ": " + error) && check(y == want, name + ": the exact 16-bit patterns"))
            std::printf("  ok   %s: %zu random f32 bit patterns, exact bits\n", name.c_str(), x.size());
    }
    std::vector<Bits> all(0x10000);
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = static_cast<Bits>(i);
    std::vector<float> widened(all.size(), 0.0f);
    const std::string name = name_of("widen", S::name);
    const std::string error = launch(name.c_str(), {8, 1, 1}, {256, 1, 1}, static_cast<const Bits*>(all.data()), widened.data(),
                                     static_cast<long long>(all.size()));
    bool ok = true;
    for (std::size_t i = 0; i < all.size(); ++i)
        ok = ok && __builtin_bit_cast(std::uint32_t, widened[i]) == __builtin_bit_cast(std::uint32_t, S::load(all[i]));
    if (check(error.empty(), name + ": " + error) && check(ok, name + ": the exact f32 bits of every 16-bit pattern"))
        std::printf("  ok   %s: all 65536 patterns, exact bits\n", name.c_str());
}
} // namespace

void test_kernels()
{
    test_depthwise<F32>();
    test_depthwise<F16>();
    test_depthwise<BF16>();
    test_separable<F32>();
    test_separable<F16>();
    test_separable<BF16>();
    test_maxpool<F32>();
    test_maxpool<BF16>();
    test_avgpool<F32>();
    test_avgpool<F16>();
    test_convert<F16>();
    test_convert<BF16>();
}
} // namespace selftest
