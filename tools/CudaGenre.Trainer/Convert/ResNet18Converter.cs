using System.Reflection;
using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Trainer.Models;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;

namespace CudaGenre.Trainer.Convert;

/// <summary>How well the converted network reproduces the ONNX model.</summary>
/// <param name="Inputs">Random inputs compared.</param>
/// <param name="MaxAbsoluteError">Largest |TorchSharp − ONNX Runtime| over all 512-d pooled features.</param>
/// <param name="MaxFeature">Largest |feature| (for scale).</param>
/// <param name="RelativeL2Error">‖TorchSharp − ONNX‖₂ / ‖ONNX‖₂ over all features.</param>
internal sealed record ConversionCheck(int Inputs, double MaxAbsoluteError, double MaxFeature, double RelativeL2Error);

/// <summary>The result of a conversion.</summary>
/// <param name="Weights">torchvision resnet18 state_dict name → (shape, values); no <c>fc.*</c> (the ONNX model ends at the pooled features).</param>
/// <param name="ExtraBlock">The ONNX model's ninth BasicBlock (named <c>layer4.2.*</c>), which torchvision's resnet18 does not have.</param>
/// <param name="Mean">Input mean per channel, R, G, B, on the [0, 1] scale.</param>
/// <param name="Std">Input std per channel.</param>
internal sealed record ConvertedResNet18(
    IReadOnlyDictionary<string, (long[] Shape, float[] Values)> Weights,
    IReadOnlyDictionary<string, (long[] Shape, float[] Values)> ExtraBlock,
    float[] Mean,
    float[] Std);

/// <summary>
/// Converts the ImageNet-pretrained ResNet18 shipped as ONNX by the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1 to torchvision state_dict names.
/// </summary>
/// <remarks>
/// <para>The ONNX file is a CNTK export: its tensors are named <c>Parameter91</c>, <c>Constant98</c>…, so
/// names cannot be mapped; the graph's structure can. conv1 is the Conv reading the graph input; each
/// <c>Add</c> node (in graph order) closes one BasicBlock. There are 9, not torchvision's 8: the CNTK
/// network has blocks 2-2-2-3 (a third BasicBlock in layer4, after the two of torchvision's layout).
/// The first 8 map to layer1.0 … layer4.1; the ninth is kept apart (<see cref="ConvertedResNet18.ExtraBlock"/>,
/// named layer4.2.*), used to check the mapping against ONNX Runtime, and left out of the written file,
/// which is therefore exactly torchvision's resnet18 backbone (features taken one block earlier than the
/// ONNX model's). Of an
/// Add's two inputs, the one reached through BN ← 3×3 Conv ← ReLU ← BN ← Conv is the main path
/// (bn2/conv2, bn1/conv1); a BN ← 1×1 Conv is the downsample branch (downsample.1/downsample.0); anything
/// else is the identity. BatchNormalization inputs are (X, scale, B, mean, var) → weight, bias,
/// running_mean, running_var. Every shape is then checked against the torchvision graph.</para>
/// <para>CNTK pads strided layers asymmetrically (e.g. conv1 pads 3/3 before and 2/2 after), where
/// torchvision pads 3 on all sides. For even input sizes both give the same output size and the same
/// windows (the extra row/column of torchvision's padding is never reached), so the results are equal.</para>
/// <para>The package's preprocessing graph (<c>ResNetPreprocess.onnx</c>) feeds the network BGR pixels on
/// the 0–255 scale minus a per-channel mean image. So the converted conv1 takes its input channels in
/// reverse (RGB), and the spec records mean = meanImage/255 and std = 1/255: our preprocessing
/// <c>(v/255 − mean)/std</c> then computes exactly <c>v − meanImage</c>.</para>
/// </remarks>
internal static class ResNet18Converter
{
    /// <summary>The ONNX input name of ResNet18.onnx.</summary>
    public const string OnnxInputName = "Input247";

    /// <summary>The package's folder: where it was restored when the trainer was built, else the NuGet cache.</summary>
    public static string DefaultPackageFolder
    {
        get
        {
            var built = typeof(ResNet18Converter).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "ResNet18PackageFolder")?.Value;
            if (!string.IsNullOrEmpty(built) && Directory.Exists(built))
                return built;
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrEmpty(packages))
                packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1");
        }
    }

    /// <summary>Largest |mean image − its channel average| (0–255 scale) seen by the last <see cref="ReadNormalization"/>.</summary>
    public static double MeanImageDeviation { get; private set; }

    /// <summary>ResNet18.onnx inside <paramref name="packageFolder"/>.</summary>
    public static string ModelPath(string packageFolder) => Path.Combine(packageFolder, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>ResNetPreprocess.onnx inside <paramref name="packageFolder"/>.</summary>
    public static string PreprocessPath(string packageFolder) => Path.Combine(packageFolder, "tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>Maps the ONNX weights to torchvision names and reads the input normalization.</summary>
    /// <exception cref="DataFileException">The files do not have the expected structure.</exception>
    public static ConvertedResNet18 Convert(string modelPath, string preprocessPath)
    {
        var onnx = OnnxModel.Read(modelPath);
        var weights = new Dictionary<string, (long[] Shape, float[] Values)>(StringComparer.Ordinal);
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in onnx.Nodes)
        {
            foreach (var output in node.Outputs)
                producer[output] = node;
        }

        OnnxNode Producer(string value, string op) =>
            producer.TryGetValue(value, out var n) && n.OpType == op
                ? n
                : throw new DataFileException(modelPath, $"expected '{value}' to come from a {op} node, found {(producer.TryGetValue(value, out var m) ? m.OpType : "a graph input")}");
        bool Produces(string value, string op) => producer.TryGetValue(value, out var n) && n.OpType == op;

        void TakeConv(OnnxNode conv, string name, bool reverseInputChannels = false)
        {
            var w = Tensor(onnx, modelPath, conv.Inputs[1]);
            if (conv.Inputs.Count > 2)
                throw new DataFileException(modelPath, $"conv '{conv.Name}' has a bias; torchvision's ResNet convs have none");
            weights[$"{name}.weight"] = (w.Dims, reverseInputChannels ? ReverseChannels(w) : w.Values);
        }

        void TakeBatchNorm(OnnxNode bn, string name)
        {
            string[] parts = ["weight", "bias", "running_mean", "running_var"];
            for (var i = 0; i < 4; i++)
            {
                var t = Tensor(onnx, modelPath, bn.Inputs[i + 1]);
                weights[$"{name}.{parts[i]}"] = (t.Dims, t.Values);
            }

            if (bn.Floats.TryGetValue("epsilon", out var eps) && Math.Abs(eps - 1e-5) > 1e-9)
                throw new DataFileException(modelPath, $"BatchNormalization '{bn.Name}' uses epsilon {eps}; torchvision uses 1e-5");
        }

        var stem = onnx.Nodes.FirstOrDefault(n => n.OpType == "Conv" && n.Inputs[0] == OnnxInputName)
            ?? throw new DataFileException(modelPath, $"no Conv reads the input '{OnnxInputName}': not the ResNet18 of the ML.NET package");
        TakeConv(stem, "conv1", reverseInputChannels: true);
        TakeBatchNorm(onnx.Nodes.First(n => n.OpType == "BatchNormalization" && n.Inputs[0] == stem.Outputs[0]), "bn1");

        var adds = onnx.Nodes.Where(n => n.OpType == "Add").ToList();
        if (adds.Count != 9)
            throw new DataFileException(modelPath, $"found {adds.Count} residual Add nodes; the package's ResNet18 has 9 (BasicBlocks 2-2-2-3)");
        for (var b = 0; b < adds.Count; b++)
        {
            var prefix = b < 8 ? $"layer{(b / 2) + 1}.{b % 2}" : "layer4.2";
            var main = 0;
            string? downsample = null;
            foreach (var side in adds[b].Inputs)
            {
                if (!Produces(side, "BatchNormalization"))
                    continue;
                var bn = producer[side];
                var conv = Producer(bn.Inputs[0], "Conv");
                var kernel = conv.Ints.TryGetValue("kernel_shape", out var k) ? k : [];
                if (kernel is [3, 3] && Produces(conv.Inputs[0], "Relu"))
                {
                    TakeConv(conv, $"{prefix}.conv2");
                    TakeBatchNorm(bn, $"{prefix}.bn2");
                    var bn1 = Producer(Producer(conv.Inputs[0], "Relu").Inputs[0], "BatchNormalization");
                    TakeConv(Producer(bn1.Inputs[0], "Conv"), $"{prefix}.conv1");
                    TakeBatchNorm(bn1, $"{prefix}.bn1");
                    main++;
                }
                else if (kernel is [1, 1])
                {
                    TakeConv(conv, $"{prefix}.downsample.0");
                    TakeBatchNorm(bn, $"{prefix}.downsample.1");
                    downsample = side;
                }
            }

            if (main != 1)
                throw new DataFileException(modelPath, $"residual Add '{adds[b].Name}' ({prefix}) does not have exactly one BN←Conv3×3←ReLU main path");
        }

        var extra = weights.Where(w => w.Key.StartsWith("layer4.2.", StringComparison.Ordinal)).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        if (extra.Keys.Any(k => k.Contains("downsample", StringComparison.Ordinal)) || extra.Count != 10)
            throw new DataFileException(modelPath, "the ninth block is not a plain 512-channel BasicBlock (2 convs, 2 BNs, identity skip)");
        foreach (var name in extra.Keys)
            weights.Remove(name);

        // Every backbone tensor must be there, with torchvision's shape.
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18));
        graph.CheckWeights(
            weights.Select(w => (w.Key, TensorDType.F32, new TensorShape([.. w.Value.Shape.Select(d => (int)d)]))),
            modelPath,
            WeightCheck.IgnoreHead | WeightCheck.AllowMissingBatchCounters);
        var (mean, std) = ReadNormalization(preprocessPath);
        return new ConvertedResNet18(weights, extra, mean, std);
    }

    /// <summary>
    /// Reads the package's preprocessing graph: Split(RGB) → Concat(B, G, R) → Sub(mean image). Checks that
    /// order and returns the nearest per-channel normalization in our convention: RGB, mean = the mean
    /// image's per-channel average on the [0, 1] scale, std 1/255 (the mean image itself varies a little
    /// over the pixels; see <see cref="MeanImageDeviation"/>).
    /// </summary>
    public static (float[] Mean, float[] Std) ReadNormalization(string preprocessPath)
    {
        var prep = OnnxModel.Read(preprocessPath);
        var split = prep.Nodes.FirstOrDefault(n => n.OpType == "Split");
        var concat = prep.Nodes.FirstOrDefault(n => n.OpType == "Concat");
        var sub = prep.Nodes.FirstOrDefault(n => n.OpType == "Sub");
        if (split is null || concat is null || sub is null || split.Outputs.Count != 3 || concat.Inputs.Count != 3
            || concat.Inputs[0] != split.Outputs[2] || concat.Inputs[1] != split.Outputs[1] || concat.Inputs[2] != split.Outputs[0])
        {
            throw new DataFileException(preprocessPath, "expected Split(R, G, B) → Concat(B, G, R) → Sub(mean image); the preprocessing graph differs");
        }

        var meanImage = Tensor(prep, preprocessPath, sub.Inputs[1]);
        if (meanImage.Dims is not [1, 3, _, _])
            throw new DataFileException(preprocessPath, $"the mean image has shape {meanImage.ShapeText}; [1, 3, H, W] expected");
        var plane = (int)(meanImage.Dims[2] * meanImage.Dims[3]);
        var mean = new float[3];
        var deviation = 0.0;
        for (var bgr = 0; bgr < 3; bgr++)
        {
            var values = meanImage.Values.AsSpan(bgr * plane, plane);
            double sum = 0;
            foreach (var v in values)
                sum += v;
            var average = sum / plane;
            foreach (var v in values)
                deviation = Math.Max(deviation, Math.Abs(v - average));
            mean[2 - bgr] = (float)(average / 255);
        }

        // A per-pixel mean image cannot be expressed per channel; its average is the nearest per-channel
        // normalization. The package's image varies by a few levels of 255 only; refuse anything far off.
        if (deviation > 16)
            throw new DataFileException(preprocessPath, $"the mean image varies by up to {deviation:0.0} (of 255) within a channel; a per-channel normalization cannot stand in for it");
        MeanImageDeviation = deviation;
        return (mean, [1f / 255, 1f / 255, 1f / 255]);
    }

    /// <summary>
    /// Runs the converted network (TorchSharp, up to the global average pool) and the ONNX model (ONNX
    /// Runtime) on <paramref name="count"/> seeded random images (uniform 0–255 pixels, preprocessed each
    /// side's way) and compares the 512-d pooled features.
    /// </summary>
    public static ConversionCheck Verify(ConvertedResNet18 converted, string modelPath, int count, ulong seed)
    {
        var spec = ModelSpec.Default(Architecture.ResNet18) with { Mean = converted.Mean, Std = converted.Std };
        var graph = ModelGraph.Build(spec);
        using var model = new GraphModule(graph);
        Load(model, converted);
        model.eval();
        const int size = 224, plane = size * size;
        var random = new SeededRandom(seed);
        using var session = new InferenceSession(modelPath);
        double maxError = 0, maxFeature = 0, diffSquares = 0, refSquares = 0;
        for (var i = 0; i < count; i++)
        {
            // Our normalized input x = (v/255 − mean)/std = v − meanImage (RGB); ONNX wants the same values in BGR order.
            var rgb = new float[3 * plane];
            for (var c = 0; c < 3; c++)
            {
                for (var p = 0; p < plane; p++)
                    rgb[(c * plane) + p] = (float)((random.Uniform(0, 255) / 255.0 - converted.Mean[c]) / converted.Std[c]);
            }

            var bgr = new float[3 * plane];
            for (var c = 0; c < 3; c++)
                Array.Copy(rgb, c * plane, bgr, (2 - c) * plane, plane);
            float[] ours;
            using (no_grad())
            using (var x = tensor(rgb, [1, 3, size, size]))
            using (var scope = NewDisposeScope())
            {
                // torchvision's resnet18 up to layer4.1, then the ONNX model's extra block, then the average pool.
                var layer4 = model.ForwardTo(graph.Nodes.First(n => n.Kind == NodeKind.GlobalAvgPool).Input, x);
                var features = ExtraBlockForward(converted.ExtraBlock, layer4).mean([2, 3]);
                ours = StateDict.ToArray(features);
            }

            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxInputName, new DenseTensor(bgr, [1, 3, size, size]))]);
            var theirs = results[0].AsEnumerable<float>().ToArray();
            if (theirs.Length != ours.Length)
                throw new InvalidOperationException($"ONNX Runtime gave {theirs.Length} features, TorchSharp {ours.Length}.");
            for (var j = 0; j < ours.Length; j++)
            {
                var d = Math.Abs(ours[j] - theirs[j]);
                maxError = Math.Max(maxError, d);
                maxFeature = Math.Max(maxFeature, Math.Abs(theirs[j]));
                diffSquares += d * d;
                refSquares += (double)theirs[j] * theirs[j];
            }
        }

        return new ConversionCheck(count, maxError, maxFeature, Math.Sqrt(diffSquares / refSquares));
    }

    /// <summary>The ninth BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + x), 3×3 convs, padding 1, BN in eval mode.</summary>
    private static Tensor ExtraBlockForward(IReadOnlyDictionary<string, (long[] Shape, float[] Values)> block, Tensor x)
    {
        Tensor T(string name) => tensor(block[$"layer4.2.{name}"].Values, block[$"layer4.2.{name}"].Shape);
        Tensor Bn(Tensor y, string bn) => nn.functional.batch_norm(y, T($"{bn}.running_mean"), T($"{bn}.running_var"), T($"{bn}.weight"), T($"{bn}.bias"), training: false, eps: 1e-5);
        var y = nn.functional.relu(Bn(nn.functional.conv2d(x, T("conv1.weight"), padding: [1, 1]), "bn1"));
        y = Bn(nn.functional.conv2d(y, T("conv2.weight"), padding: [1, 1]), "bn2");
        return nn.functional.relu(y.add(x));
    }

    /// <summary>Copies the converted backbone into a resnet18 <see cref="GraphModule"/> (the head keeps its initialization).</summary>
    public static void Load(GraphModule model, ConvertedResNet18 converted)
    {
        var state = model.state_dict();
        using var noGrad = no_grad();
        foreach (var (name, (shape, values)) in converted.Weights)
        {
            using var source = tensor(values, shape);
            state[name].copy_(source);
        }
    }

    /// <summary>Writes the backbone as safetensors with torchvision names (no <c>fc.*</c>), and the spec and provenance as metadata.</summary>
    public static void Write(string path, ConvertedResNet18 converted, ConversionCheck check, string source)
    {
        var spec = ModelSpec.Default(Architecture.ResNet18) with { Mean = converted.Mean, Std = converted.Std, TrainerVersion = TrainerInfo.Version };
        var writer = new SafetensorsWriter();
        writer.Metadata[Export.FormatKey] = "cudagenre-pretrained/1";
        writer.Metadata[Export.SpecKey] = spec.ToJson();
        writer.Metadata["source"] = source;
        writer.Metadata["contents"] = "ImageNet-pretrained ResNet18 backbone with torchvision state_dict names; no fc.* (the ONNX model ends at the pooled 512-d features), no num_batches_tracked. The ONNX network has a third BasicBlock in layer4 (blocks 2-2-2-3); it is left out, so this is torchvision's 2-2-2-2 resnet18";
        writer.Metadata["normalization"] = FormattableString.Invariant($"RGB; mean = the per-channel average of the package's mean image / 255, std = 1/255, i.e. the network sees pixel values 0-255 minus the channel mean (the package subtracts a per-pixel mean image, which differs from its channel averages by at most {MeanImageDeviation:0.00} of 255)");
        writer.Metadata["verification"] = FormattableString.Invariant(
            $"{check.Inputs} random 224x224 inputs, this backbone plus the ONNX model's extra layer4 block vs ONNX Runtime: max |error| {check.MaxAbsoluteError:G3} over pooled features up to {check.MaxFeature:G3}, relative L2 {check.RelativeL2Error:G3}");
        foreach (var (name, (shape, values)) in converted.Weights.OrderBy(w => w.Key, StringComparer.Ordinal))
            writer.Add(name, new TensorShape([.. shape.Select(d => (int)d)]), values);
        writer.Save(path);
    }

    private static OnnxTensor Tensor(OnnxModel onnx, string path, string name)
        => onnx.Tensors.TryGetValue(name, out var t) ? t : throw new DataFileException(path, $"tensor '{name}' is neither an initializer nor a Constant");

    /// <summary>[O, 3, kh, kw] weights with the input channels in reverse order (BGR ↔ RGB).</summary>
    private static float[] ReverseChannels(OnnxTensor w)
    {
        if (w.Dims is not [var o, 3, var kh, var kw])
            throw new ArgumentException($"conv1 weight has shape {w.ShapeText}; [64, 3, 7, 7] expected");
        var k = (int)(kh * kw);
        var result = new float[w.Values.Length];
        for (var i = 0; i < o; i++)
        {
            for (var c = 0; c < 3; c++)
                Array.Copy(w.Values, ((i * 3) + c) * k, result, ((i * 3) + (2 - c)) * k, k);
        }

        return result;
    }
}
