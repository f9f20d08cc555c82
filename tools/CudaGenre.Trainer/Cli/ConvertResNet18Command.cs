using System.CommandLine;
using System.Globalization;
using CudaGenre.Trainer.Convert;
using Spectre.Console;

namespace CudaGenre.Trainer.Cli;

/// <summary><c>convert-resnet18</c>: the ImageNet ResNet18 of the ML.NET NuGet package, as torchvision-named safetensors.</summary>
internal static class ConvertResNet18Command
{
    public static Command Create()
    {
        var package = new Option<string>("--package") { Description = "Folder of the Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 NuGet package.", DefaultValueFactory = _ => ResNet18Converter.DefaultPackageFolder };
        var output = new Option<string>("--out", "-o") { Description = "The safetensors file to write.", DefaultValueFactory = _ => "resnet18_imagenet.safetensors" };
        var checks = new Option<int>("--check-inputs") { Description = "Random inputs on which TorchSharp and ONNX Runtime are compared.", DefaultValueFactory = _ => 4 };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest accepted relative L2 error of the pooled features.", DefaultValueFactory = _ => 1e-4 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads; 0 = one per core.", DefaultValueFactory = _ => 0 };
        var command = new Command("convert-resnet18", """
            Convert the ImageNet-pretrained ResNet18 shipped as ONNX in the NuGet package
            Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 to a torchvision-named safetensors backbone
            (use it with `train --arch resnet18 --pretrained FILE`). The mapping is checked by running the
            converted network (TorchSharp) and the ONNX model (ONNX Runtime) on random inputs.
            """)
        {
            package, output, checks, tolerance, threads,
        };
        command.SetAction(parse => CommandRunner.Run(_ =>
        {
            Torch.Configure(parse.GetValue(threads));
            var folder = parse.GetValue(package)!;
            var modelPath = ResNet18Converter.ModelPath(folder);
            var prepPath = ResNet18Converter.PreprocessPath(folder);
            var converted = ResNet18Converter.Convert(modelPath, prepPath);
            AnsiConsole.MarkupLineInterpolated($"Mapped {converted.Weights.Count} tensors of {modelPath} to torchvision names.");
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Input normalization from {prepPath}: mean (RGB) [[{string.Join(", ", converted.Mean.Select(m => m.ToString("0.######", CultureInfo.InvariantCulture)))}]], std 1/255 (the package's per-pixel mean image differs from these channel averages by at most {ResNet18Converter.MeanImageDeviation:0.00} of 255).");
            var check = ResNet18Converter.Verify(converted, modelPath, parse.GetValue(checks), 42);
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"TorchSharp vs ONNX Runtime on {check.Inputs} random inputs: max |error| {check.MaxAbsoluteError:G3} (features up to {check.MaxFeature:G3}), relative L2 error {check.RelativeL2Error:G3}.");
            if (!(check.RelativeL2Error <= parse.GetValue(tolerance)))
                throw new InvalidOperationException($"The converted network does not reproduce the ONNX model (relative L2 error {check.RelativeL2Error:G3} > {parse.GetValue(tolerance):G3}); nothing was written.");
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            ResNet18Converter.Write(outPath, converted, check, $"Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 ({Path.GetFileName(modelPath)})");
            AnsiConsole.MarkupLineInterpolated($"Wrote [bold]{outPath}[/].");
            return 0;
        }));
        return command;
    }
}
