using System.Text.Json;
using CudaGenre.Cli;
using CudaGenre.Cuda;

namespace CudaGenre.Core.Tests.Cli;

[Collection(nameof(ConsoleUsers))]
public class InfoCommandTests
{
    private static (int ExitCode, string Output) Run(params string[] args)
        => CommandOutput.Capture(() => CliApp.Create().Parse(args).Invoke());

    [Fact]
    public void Info_ReportsEveryLibrary_WhereItWasFound_OrWhereItWasLookedFor_AndExitsZero()
    {
        var (code, text) = Run("info");
        Assert.Equal(0, code);
        var lines = text.Split('\n');

        // The facts the report must agree with, found here independently of the report.
        var nvrtcOnDisk = new[] { "/lib/x86_64-linux-gnu/libnvrtc.so.11.2", "/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2" }.Any(File.Exists);
        // A driver in a folder of CUDAGENRE_CUDA_LIB_PATH comes first (CI: the emulated device, tools/cuda-emulator).
        var driverInPathVariable = (Environment.GetEnvironmentVariable("CUDAGENRE_CUDA_LIB_PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries).Select(folder => Path.Combine(folder, "libcuda.so.1")).FirstOrDefault(File.Exists);
        var driverOnDisk = driverInPathVariable is not null ||
            new[] { "/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1" }.Any(File.Exists);
        if (Environment.GetEnvironmentVariable("CUDAGENRE_REQUIRE_NVRTC") == "1")
            Assert.True(nvrtcOnDisk, "CUDAGENRE_REQUIRE_NVRTC=1 but Debian's libnvrtc.so.11.2 is not installed (tools/install-nvrtc.sh)");

        if (nvrtcOnDisk)
        {
            var nvrtc = Assert.Single(lines, l => l.TrimStart().StartsWith("NVRTC ", StringComparison.Ordinal));
            Assert.Matches(@"^\s+NVRTC\s+11\.8\s+/\S*libnvrtc\.so\.11\.2\s+\(found by system loader\)$", nvrtc);
        }
        if (!driverOnDisk)
        {
            Assert.Contains("CUDA driver: not found (tried libcuda.so.1, libcuda.so): no NVIDIA driver is installed or visible here", lines);
            Assert.Contains("Devices: none (no CUDA driver: libcuda.so.1, libcuda.so not found)", lines);
            var driverLine = Array.FindIndex(lines, l => l.TrimStart().StartsWith("CUDA driver  not found. Tried libcuda.so.1, libcuda.so:", StringComparison.Ordinal));
            Assert.True(driverLine > 0, text);
            Assert.Contains(lines[(driverLine + 1)..], l => l.Contains("libcuda.so.1 (system loader): not loaded: cannot open shared object file", StringComparison.Ordinal));
            Assert.Contains(lines[(driverLine + 1)..], l => l.Contains("To get it: libcuda.so.1 comes with the NVIDIA driver", StringComparison.Ordinal));
        }
        if (driverInPathVariable is not null)
        {
            Assert.Contains(lines, l => l.StartsWith("CUDA driver: CUDA ", StringComparison.Ordinal) && l.Contains($"({driverInPathVariable}", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("Devices: ", StringComparison.Ordinal) && !l.StartsWith("Devices: none", StringComparison.Ordinal));
        }
        foreach (var name in new[] { "CUDA driver", "NVRTC", "cuBLASLt", "cuBLAS", "cuDNN" })
            Assert.Single(lines, l => l.StartsWith($"  {name} ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Kernel cache: ", StringComparison.Ordinal));
    }

    [Fact]
    public void InfoJson_HoldsTheSameReport()
    {
        var (code, text) = Run("info", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        var libraries = root.GetProperty("libraries").EnumerateArray().ToList();
        Assert.Equal(["cuda", "nvrtc", "cublasLt", "cublas", "cudnn"], libraries.Select(l => l.GetProperty("name").GetString()));
        foreach (var library in libraries)
        {
            var probe = NativeLibraries.Probe(library.GetProperty("name").GetString()!);
            Assert.Equal(probe.Found, library.GetProperty("found").GetBoolean());
            Assert.Equal(probe.Attempts.Count, library.GetProperty("attempts").GetArrayLength());
            if (probe.Found)
            {
                Assert.Equal(probe.FoundBy.ToString(), library.GetProperty("foundBy").GetString());
                Assert.True(File.Exists(library.GetProperty("path").GetString()), "the path is a real file");
                Assert.Matches(@"^\d+\.\d+", library.GetProperty("version").GetString());
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, library.GetProperty("path").ValueKind);
                Assert.Equal("not set", library.GetProperty("attempts")[0].GetProperty("outcome").GetString());
            }
        }
        Assert.Equal(root.GetProperty("devices").GetArrayLength() == 0, root.GetProperty("devicesProblem").ValueKind == JsonValueKind.String);
    }
}
