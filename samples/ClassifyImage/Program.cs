// Classify a spectrogram image with a trained CudaGenre model: dotnet run -- model.safetensors song.png
using CudaGenre.Core.Imaging;
using CudaGenre.Engine;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ClassifyImage <model.safetensors> <spectrogram image>");
    return 1;
}

using var session = InferenceSession.Open(args[0]);           // Backend.Auto: CUDA where usable, else the CPU
var result = session.Classify(ImageFile.Read(args[1]));       // resized and normalized as the model was trained
Console.WriteLine($"{result.Label} {result.Probabilities[result.Index]:P1}");
Console.WriteLine(string.Join(", ", result.Top(3).Select(t => $"{t.Label} {t.Probability:P1}")));
return 0;
