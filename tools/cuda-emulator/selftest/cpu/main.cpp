// main.cpp — the CPU half of the emulated device, checked natively (no .NET, no driver): the cvt emulations bit
// for bit, the runtime's barrier/shuffle/shared-memory semantics and error reports on deliberately wrong test
// kernels, the sanitizers of this build's flavour on kernels with a planted bug (each in a child process), and
// the project's kernels against C++ references. Exit status 0 when every check passes.
// Usage: selftest-cpu            run everything
//        selftest-cpu --victim K launch sanitizer victim K (read_past_end, misaligned_float4, missing_barrier)
#include "selftest.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace selftest
{
namespace
{
int failures = 0;

int run_victim(const std::string& name)
{
    std::vector<float> x(64, 1.0f), y(256, 0.0f);
    std::string error;
    if (name == "read_past_end")
        error = launch("read_past_end", {1, 1, 1}, {65, 1, 1}, static_cast<const float*>(x.data()), y.data(), 64);
    else if (name == "misaligned_float4")
        error = launch("misaligned_float4", {1, 1, 1}, {8, 1, 1}, static_cast<const float*>(x.data()), y.data());
    else if (name == "missing_barrier")
        error = launch("missing_barrier", {1, 1, 1}, {256, 1, 1}, y.data());
    else
        error = "unknown victim " + name;
    std::fprintf(stderr, "victim %s ran to the end%s%s\n", name.c_str(), error.empty() ? "" : ": ", error.c_str());
    return 0;
}

// Runs this program as `--victim name` and returns its exit status and everything it wrote.
int run_child(const std::string& victim, std::string& output)
{
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return -1;
    const pid_t pid = fork();
    if (pid == 0)
    {
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        setenv("TSAN_OPTIONS", "halt_on_error=1", 1);
        execl("/proc/self/exe", "selftest-cpu", "--victim", victim.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipe_fds[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0)
        output.append(buffer, static_cast<std::size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void expect_caught(const std::string& victim, const std::vector<std::string>& needles)
{
    std::string output;
    const int status = run_child(victim, output);
    bool found = true;
    for (const std::string& needle : needles)
        found = found && output.find(needle) != std::string::npos;
    const std::size_t first = output.find("ERROR: ") != std::string::npos ? output.find("ERROR: ")
                            : output.find("WARNING: ") != std::string::npos ? output.find("WARNING: ")
                            : output.find("runtime error") != std::string::npos ? output.rfind('\n', output.find("runtime error")) + 1
                                                                              : 0;
    const std::string line = output.substr(first, output.find('\n', first) - first);
    if (check(status != 0 && found, "the sanitizer stops victim " + victim + " (exit " + std::to_string(status) + ")"))
        std::printf("  ok   %s: %s\n", victim.c_str(), line.c_str());
    else
        std::printf("%s\n", output.c_str());
}

void test_sanitizers()
{
#if defined(__SANITIZE_ADDRESS__)
    expect_caught("read_past_end", {"AddressSanitizer: heap-buffer-overflow", "READ of size 4"});
    expect_caught("misaligned_float4", {"sanitizer_victims.cu:15", "misaligned address", "float4"});
#elif defined(__SANITIZE_THREAD__)
    expect_caught("missing_barrier", {"ThreadSanitizer: data race"});
#else
    std::printf("  (plain build: the sanitizer checks run in the asan and tsan flavours)\n");
#endif
}

template <typename F>
void timed(const char* part, F body)
{
    const auto start = std::chrono::steady_clock::now();
    const int before = failures;
    std::printf("== %s\n", part);
    std::fflush(stdout);
    body();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("   %s: %s, %.2f s\n", part, failures == before ? "ok" : "FAILED", seconds);
    std::fflush(stdout);
}
} // namespace

bool check(bool ok, const std::string& what)
{
    if (!ok)
    {
        ++failures;
        std::printf("  FAIL %s\n", what.c_str());
    }
    return ok;
}

int main(int argc, char** argv)
{
    if (argc == 3 && std::strcmp(argv[1], "--victim") == 0)
        return run_victim(argv[2]);
    std::printf("cuda-emulator CPU selftest: %d kernels registered\n", cg_emu::kernel_count());
    timed("cvt emulation", test_conversions);
    timed("runtime semantics", test_runtime);
    timed("sanitizers", test_sanitizers);
    timed("project kernels", test_kernels);
    std::printf(failures == 0 ? "selftest-cpu: all checks passed\n" : "selftest-cpu: %d checks FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
} // namespace selftest

int main(int argc, char** argv)
{
    return selftest::main(argc, argv);
}
