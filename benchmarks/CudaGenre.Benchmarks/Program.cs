using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/CudaGenre.Benchmarks -- --filter '*'</c>. The in-process
/// toolchain runs without the SDK (a self-contained publish works on the GPU machine) and keeps the
/// engine's worker threads and TorchSharp's libtorch in the measured process as a user would have them.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2)
            .WithIterationCount(8)
            .WithInvocationCount(1)
            .WithUnrollFactor(1);
        var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
