using System.CommandLine;

namespace CudaGenre.Trainer.Cli;

/// <summary><c>convert-resnet18</c>: the ImageNet ResNet18 of the ML.NET NuGet package, as torchvision-named safetensors.</summary>
internal static class ConvertResNet18Command
{
    public static Command Create()
    {
        var command = new Command("convert-resnet18", "Convert the ImageNet ResNet18 (ONNX, from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package) to resnet18_imagenet.safetensors.");
        command.SetAction(_ => CommandRunner.Run(_ => throw new InvalidOperationException("not yet")));
        return command;
    }
}
