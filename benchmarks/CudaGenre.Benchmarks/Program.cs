using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/CudaGenre.Benchmarks -- --filter '*'</c>, or
/// <c>-- profile MODEL BATCH [THREADS]</c> for the CPU backend's time and GFLOP/s per step (<see cref="StepProfile"/>),
/// <c>-- tile64 [ROUNDS]</c> for a 6 × 64 register-tile prototype against the engine's FP32 GEMM (its 512-bit tile was 7 × 32 before session 21) (<see cref="WideTilePrototype"/>),
/// <c>-- ortprofile MODEL BATCH [THREADS]</c> for ONNX Runtime's per-node time beside the engine's per-step time (<see cref="OrtProfile"/>),
/// <c>-- peak [MS]</c> for the machine's FP32 FMA peak (<see cref="PeakFlops"/>), or <c>-- ortcompare ...</c> for the engine
/// side by side with ONNX Runtime on the same weights (<see cref="OrtCompare"/>, run by benchmarks/ort-compare.sh). The in-process
/// toolchain runs without the SDK (a self-contained publish works on the GPU machine) and keeps the
/// engine's worker threads and TorchSharp's libtorch in the measured process as a user would have them.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["pass", var passModel, ..])
        {
            GemmShapes.Pass(passModel, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1);
            return;
        }
        if (args is ["kernels"])
        {
            KernelVariants.Run();
            return;
        }
        // gemm-threads (1 against 2 workers) is now gemm-pair's "alone", "pool split" and "scaling" columns.
        if (args is ["gemm-pair" or "gemm-threads", ..])
        {
            GemmShapes.Pair(args.Length > 1 ? args[1] : null);
            return;
        }
        if (args is ["gemm", ..])
        {
            GemmShapes.Run(args.Length > 1 ? args[1] : null);
            return;
        }
        if (args is ["profile", var model, var batch, ..])
        {
            StepProfile.Run(model, int.Parse(batch, System.Globalization.CultureInfo.InvariantCulture), args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount);
            return;
        }
        if (args is ["ortprofile", var profiled, var profiledBatch, ..])
        {
            OrtProfile.Run(profiled, int.Parse(profiledBatch, System.Globalization.CultureInfo.InvariantCulture), args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount);
            return;
        }
        if (args is ["tta", var ttaModel, var ttaSplit, var ttaData, ..])
        {
            TimeCropTta.Run(ttaModel, ttaSplit, ttaData, args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 5,
                args.Length > 5 ? double.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 0.8);
            return;
        }
        if (args is ["workers"])
        {
            WorkerOverhead.Run();
            return;
        }
        if (args is ["state", ..])
        {
            MachineState.Run(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
            return;
        }
        if (args is ["tile64", ..])
        {
            WideTilePrototype.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
            return;
        }
        if (args is ["int8", ..])
        {
            Int8Prototype.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
            return;
        }
        if (args is ["peak", ..])
        {
            PeakFlops.Run(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500);
            return;
        }
        if (args is ["ortcompare", ..])
        {
            OrtCompare.Run(args[1..]);
            return;
        }
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
