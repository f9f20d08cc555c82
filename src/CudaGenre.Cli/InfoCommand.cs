using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using CudaGenre.Cuda;

namespace CudaGenre.Cli;

/// <summary><c>cudagenre info</c>: the CUDA driver, devices and libraries this machine offers, and where each was found.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("info", """
            Show the CUDA driver and devices, and for each CUDA library (driver, NVRTC, cuBLASLt, cuBLAS, cuDNN) the file it
            was loaded from, which search step found it and its version, or what is missing and every place searched.
            Always exits 0: it is a report. Search order: NativeLibraries.SearchPath, CUDAGENRE_CUDA_LIB_PATH
            (colon-separated folders), the system loader (LD_LIBRARY_PATH, ldconfig), known install places
            (/usr/local/cuda*, conda, pip's site-packages/nvidia/*/lib).
            """)
        {
            json,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var report = CudaEnvironmentReport.Collect();
            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(report, InfoJsonContext.Default.CudaEnvironmentReport));
            else
                Print(report, Console.Out);
            return 0;
        }));
        return command;
    }

    /// <summary>Plain lines (no table borders), so that the report reads the same in a terminal and in a saved log.</summary>
    public static void Print(CudaEnvironmentReport report, TextWriter output)
    {
        var driver = report.Libraries.First(l => l.Name == NativeLibraryNames.Driver);
        output.WriteLine(driver.Found
            ? $"CUDA driver: CUDA {report.DriverVersion ?? "?"} ({driver.Path})"
            : $"CUDA driver: not found (tried {string.Join(", ", driver.Sonames)}): no NVIDIA driver is installed or visible here");
        if (report.Devices.Count == 0)
        {
            output.WriteLine($"Devices: none ({report.DevicesProblem})");
        }
        else
        {
            output.WriteLine($"Devices: {report.Devices.Count}");
            foreach (var d in report.Devices)
            {
                output.WriteLine($"  {d.Ordinal}: {d.Name}, compute capability {d.ComputeCapability}, {d.Multiprocessors} SMs, " +
                    $"{d.TotalMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, {d.ClockRateKHz / 1000} MHz");
            }
        }

        output.WriteLine();
        output.WriteLine("Libraries (search order: NativeLibraries.SearchPath, CUDAGENRE_CUDA_LIB_PATH, system loader, known places):");
        var width = report.Libraries.Max(l => l.DisplayName.Length);
        foreach (var library in report.Libraries)
        {
            var name = library.DisplayName.PadRight(width);
            if (library.Found)
            {
                var version = library.Version ?? $"version unknown ({library.VersionProblem})";
                output.WriteLine($"  {name}  {version}  {library.Path}  (found by {LibraryAttempt.Describe(library.FoundBy!.Value)})");
                foreach (var companion in library.Attempts.Where(a => a.Outcome.StartsWith("companion", StringComparison.Ordinal)))
                    output.WriteLine($"  {new string(' ', width)}    {companion.Place}: {companion.Outcome}");
                continue;
            }
            output.WriteLine($"  {name}  not found. Tried {string.Join(", ", library.Sonames)}:");
            foreach (var attempt in library.Attempts)
                output.WriteLine($"  {new string(' ', width)}    {attempt}");
            output.WriteLine($"  {new string(' ', width)}    To get it: {library.InstallHint}");
        }
        if (report.Libraries.Any(l => !l.Found))
        {
            output.WriteLine($"  To use a library installed elsewhere, set {NativeLibraries.PathVariable} to its folder (several: separate with ':').");
        }

        output.WriteLine();
        output.WriteLine($"{NativeLibraries.PathVariable}: {report.EnvironmentSearchPath ?? "(not set)"}");
        output.WriteLine($"Kernel cache: {report.KernelCacheDirectory} (set {Cuda.Kernels.KernelCache.DirectoryVariable} to move it)");
        output.WriteLine(Engine.Cpu.CpuKernels.Describe());
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CudaEnvironmentReport))]
internal sealed partial class InfoJsonContext : JsonSerializerContext;
