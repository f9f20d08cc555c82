// runtime_test.cpp — the block runtime on the selftest's own kernels (kernels/*.cu here): correct barriers,
// shuffles and built-ins give the right values; shared memory starts poisoned in every block; each wrong
// kernel makes the launch fail with a message naming its file:line; invalid blocks are refused.
#include "selftest.h"

#include <thread>

namespace selftest
{
namespace
{
bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

// The launch must fail with a message holding every one of `parts`.
void expect_error(const std::string& error, const std::vector<std::string>& parts)
{
    bool ok = !error.empty();
    for (const std::string& part : parts)
        ok = ok && contains(error, part);
    std::string wanted;
    for (const std::string& part : parts)
        wanted += " «" + part + "»";
    if (check(ok, "expected an error with" + wanted + ", got «" + error + "»"))
        std::printf("  ok   %s\n", error.c_str());
}

void test_correct_kernels()
{
    std::vector<float> sums(3, -1.0f);
    check(launch("block_sum_2d", {3, 1, 1}, {8, 4, 2}, sums.data()).empty(), "block_sum_2d launches");
    check(sums == std::vector<float>(3, 63.0f * 64.0f / 2.0f), "block_sum_2d: every block sums its 64 thread indices");

    const int n = 128;
    std::vector<float> x(n), y(n), z(n), w(n);
    for (int i = 0; i < n; ++i)
        x[i] = static_cast<float>(i * 3 % 17);
    check(launch("warp_sums", {2, 1, 1}, {64, 1, 1}, static_cast<const float*>(x.data()), y.data(), z.data(), w.data()).empty(),
          "warp_sums launches");
    bool ok = true;
    for (int i = 0; i < n; ++i)
    {
        float warp = 0, group = 0;
        for (int j = i / 32 * 32; j < i / 32 * 32 + 32; ++j)
            warp += x[j];
        for (int j = i / 8 * 8; j < i / 8 * 8 + 8; ++j)
            group += x[j];
        ok = ok && y[i] == warp && z[i] == group && w[i] == ((i & 8) != 0 ? x[i - 8] : x[i]);
    }
    check(ok, "warp_sums: full-warp and width-8 butterflies, and width-8 reads past the segment");

    std::vector<float> h(48), hy(48, -1.0f);
    for (int i = 0; i < 48; ++i)
        h[i] = static_cast<float>(i);
    check(launch("half_warp_sums", {1, 1, 1}, {48, 1, 1}, static_cast<const float*>(h.data()), hy.data()).empty(),
          "half_warp_sums launches (a 16-lane mask; a last warp of 16 lanes)");
    check(hy[3] == 120.0f && hy[40] == 32 * 16 + 120.0f && hy[20] == -1.0f, "half_warp_sums: 16-lane sums");
}

// Grids launched from several host threads at once run one after another, each with its own results.
void test_concurrent_launches()
{
    std::vector<std::vector<float>> sums(3, std::vector<float>(2, -1.0f));
    std::vector<std::string> errors(sums.size());
    std::vector<std::thread> hosts;
    for (std::size_t h = 0; h < sums.size(); ++h)
        hosts.emplace_back([&, h] {
            for (int i = 0; i < 4 && errors[h].empty(); ++i)
                errors[h] = launch("block_sum_2d", {2, 1, 1}, {8, 4, 2}, sums[h].data());
        });
    for (std::thread& host : hosts)
        host.join();
    bool ok = true;
    for (std::size_t h = 0; h < sums.size(); ++h)
        ok = ok && errors[h].empty() && sums[h] == std::vector<float>(2, 2016.0f);
    if (check(ok, "launches from 3 host threads at once"))
        std::printf("  ok   3 host threads × 4 launches at once: serialized, each with its own results\n");
}

void test_shared_poison()
{
    for (const char* kernel : {"shared_poison", "shared_poison_template"})
    {
        std::vector<float> y(128, 0.0f);
        check(launch(kernel, {2, 1, 1}, {64, 1, 1}, y.data()).empty(), std::string(kernel) + " launches");
        bool ok = true;
        for (int t = 0; t < 64; ++t)
        {
            const int slot = 63 - t;
            ok = ok && y[t] == static_cast<float>(slot);
            const std::uint32_t second = __builtin_bit_cast(std::uint32_t, y[64 + t]);
            ok = ok && (slot % 2 == 0 ? y[64 + t] == static_cast<float>(slot) : second == 0xffffffffu);
        }
        if (check(ok, std::string(kernel) + ": block 1 reads poison (0xffffffff, NaN) where it did not write"))
            std::printf("  ok   %s: unwritten __shared__ reads as 0xffffffff (NaN) in block 1\n", kernel);
    }
}

void test_wrong_kernels()
{
    std::vector<float> y(64);
    expect_error(launch("divergent_barrier", {2, 1, 1}, {32, 1, 1}, y.data()),
                 {"kernel divergent_barrier block (0,0,0): thread (", "reached __syncthreads at barriers.cu:", "while thread (",
                  "barriers.cu:25", "barriers.cu:27"});
    expect_error(launch("early_return", {1, 1, 1}, {32, 1, 1}, y.data()),
                 {"kernel early_return block (0,0,0): thread (", "barriers.cu:36", "thread (5,0,0) returned"});
    expect_error(launch("barrier_deadlock", {1, 1, 1}, {64, 1, 1}, y.data()),
                 {"deadlock", "31 threads from thread (0,0,0) at __shfl_xor_sync (mask 0xffffffff) barriers.cu:46",
                  "33 threads from thread (", "at __syncthreads barriers.cu:47"});
    expect_error(launch("shuffle_missing_lane", {1, 1, 1}, {32, 1, 1}, y.data()),
                 {"kernel shuffle_missing_lane block (0,0,0): thread (", "(7,0,0)", "__shfl_xor_sync at shuffles.cu:37"});
    // The runtime recovers: the next launch runs normally.
    std::vector<float> sums(1);
    check(launch("block_sum_2d", {1, 1, 1}, {8, 4, 2}, sums.data()).empty() && sums[0] == 2016.0f,
          "a correct launch after the failed ones");
    expect_error(launch("block_sum_2d", {1, 1, 1}, {1025, 1, 1}, sums.data()), {"block (1025,1,1)", "invalid"});
    expect_error(launch("block_sum_2d", {1, 1, 1}, {64, 32, 1}, sums.data()), {"2048 threads", "at most 1024"});
    expect_error(launch("block_sum_2d", {0, 1, 1}, {64, 1, 1}, sums.data()), {"grid (0,1,1) is invalid"});
}
} // namespace

void test_runtime()
{
    test_correct_kernels();
    test_concurrent_launches();
    test_shared_poison();
    test_wrong_kernels();
}
} // namespace selftest
