using System.CommandLine;
using System.Globalization;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary><c>cudagenre export-onnx</c>: a model file as ONNX, for ONNX Runtime and other ONNX tools.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A model file (model.safetensors) written by the trainer." };
        var output = new Argument<string>("output") { Description = "The ONNX file to write (replaced atomically if it exists)." };
        var command = new Command("export-onnx", $"""
            Export a model as ONNX (IR {OnnxExport.IrVersion}, opset {OnnxExport.OpsetVersion}): input '{OnnxExport.InputName}' float [N, C, H, W], already
            normalized as the model's spec says; output '{OnnxExport.OutputName}' float [N, classes] (no softmax); the spec (class names,
            normalization) in the metadata entry '{OnnxExport.SpecMetadataKey}'. BatchNorm, Dropout (as Identity) and the residual adds
            are kept as separate ONNX nodes: the file is the model as PyTorch defines it.
            """)
        {
            model, output,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var file = ModelFile.Read(parse.GetValue(model)!);
            var path = parse.GetValue(output)!;
            if (Directory.Exists(path))
                throw new IOException($"'{path}' is a folder; give the ONNX file's path.");
            OnnxExport.Write(file, path);
            var spec = file.Spec;
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"Wrote {path} ({new FileInfo(path).Length / 1048576.0:F1} MiB): {spec.Architecture}, input '{OnnxExport.InputName}' [[N, {spec.InputChannels}, {spec.InputHeight}, {spec.InputWidth}]], output '{OnnxExport.OutputName}' [[N, {spec.ClassCount}]].");
            return 0;
        }));
        return command;
    }
}
