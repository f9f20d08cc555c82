namespace CudaGenre.Core.Models;

/// <summary>Appends nodes to a graph under construction, naming each output value after its module.</summary>
internal sealed class GraphBuilder
{
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);

    public List<ModelNode> Nodes { get; } = [];

    /// <summary>The last value written (initially the graph input).</summary>
    public string Current { get; private set; } = ModelGraph.InputName;

    // A module that runs again (torchvision's shared relu) writes "module#2", "module#3", …
    private string OutputOf(string module)
    {
        var n = _uses[module] = _uses.GetValueOrDefault(module) + 1;
        return n == 1 ? module : $"{module}#{n}";
    }

    private string Append(ModelNode node)
    {
        Nodes.Add(node);
        return Current = node.Output;
    }

    public string Conv(string module, string input, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = false)
        => Append(new Conv2dNode(module, input, OutputOf(module), inChannels, outChannels,
            Size2d.Square(kernel), Size2d.Square(stride), Size2d.Square(padding), groups, bias));

    public string BatchNorm(string module, string input, int channels) => Append(new BatchNorm2dNode(module, input, OutputOf(module), channels));

    public string Relu(string module, string input) => Append(new ReluNode(module, input, OutputOf(module)));

    public string MaxPool(string module, string input, int kernel, int stride, int padding)
        => Append(new MaxPool2dNode(module, input, OutputOf(module), Size2d.Square(kernel), Size2d.Square(stride), Size2d.Square(padding)));

    public string GlobalAvgPool(string module, string input) => Append(new GlobalAvgPoolNode(module, input, OutputOf(module)));

    public string Flatten(string module, string input) => Append(new FlattenNode(module, input, OutputOf(module)));

    public string Linear(string module, string input, int inFeatures, int outFeatures) => Append(new LinearNode(module, input, OutputOf(module), inFeatures, outFeatures));

    public string Dropout(string module, string input, float p) => Append(new DropoutNode(module, input, OutputOf(module), p));

    public string Add(string module, string left, string right) => Append(new AddNode(module, left, right, OutputOf(module)));
}

/// <summary>
/// The architectures, each described once. Layouts and names follow the reference implementations
/// exactly (torchvision <c>resnet.py</c>, timm <c>xception.py</c>), so their state_dicts load as they are.
/// </summary>
internal static class Architectures
{
    /// <summary>
    /// The baseline CNN, as a PyTorch <c>nn.Sequential</c> called <c>features</c>: per block
    /// Conv2d(3×3, padding 1, bias) → ReLU → MaxPool2d(2, 2), so block b has modules
    /// <c>features.{3b}</c>, <c>.{3b+1}</c>, <c>.{3b+2}</c>; then global average pooling and the head
    /// under <c>classifier</c>. Global pooling (rather than flattening the 18×27×128 map) keeps the
    /// classifier small — 128 features instead of 62 208, so the dense head has about 71 k weights, not 32 M —
    /// which suits a data set of ~700 training images, gives the CNN the same feature → head shape as
    /// the other architectures, and lets it take any input size.
    /// </summary>
    public static (string Output, int Features) Cnn(GraphBuilder g, ModelSpec spec)
    {
        var x = ModelGraph.InputName;
        var channels = spec.InputChannels;
        for (var b = 0; b < spec.CnnWidths.Count; b++)
        {
            var width = spec.CnnWidths[b];
            x = g.Conv($"features.{3 * b}", x, channels, width, kernel: 3, padding: 1, bias: true);
            x = g.Relu($"features.{(3 * b) + 1}", x);
            x = g.MaxPool($"features.{(3 * b) + 2}", x, kernel: 2, stride: 2, padding: 0);
            channels = width;
        }
        x = g.GlobalAvgPool("avgpool", x);
        x = g.Flatten("flatten", x);
        return (x, channels);
    }

    /// <summary>
    /// torchvision ResNet18 (BasicBlock, 2-2-2-2) or ResNet50 (Bottleneck, 3-4-6-3, stride on the 3×3
    /// conv — "v1.5"). Stem conv1 7×7/2 (padding 3) → bn1 → relu → maxpool 3×3/2 (padding 1); the first
    /// block of layer2–4 has stride 2, and a block whose stride or width changes gets
    /// <c>downsample.0</c> (1×1 conv with the block's stride) and <c>downsample.1</c> (BN). A block
    /// ends with relu(bn_last(…) + identity). Then avgpool and flatten.
    /// </summary>
    public static (string Output, int Features) ResNet(GraphBuilder g, ModelSpec spec)
    {
        var bottleneck = spec.Architecture == Architecture.ResNet50;
        int[] blocks = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
        var expansion = bottleneck ? 4 : 1;

        var x = g.Conv("conv1", ModelGraph.InputName, spec.InputChannels, 64, kernel: 7, stride: 2, padding: 3);
        x = g.BatchNorm("bn1", x, 64);
        x = g.Relu("relu", x);
        x = g.MaxPool("maxpool", x, kernel: 3, stride: 2, padding: 1);

        var inplanes = 64;
        for (var layer = 0; layer < 4; layer++)
        {
            var planes = 64 << layer;
            for (var b = 0; b < blocks[layer]; b++)
            {
                var m = $"layer{layer + 1}.{b}";
                var stride = b == 0 && layer > 0 ? 2 : 1;
                var input = x;
                if (bottleneck)
                {
                    x = g.Conv($"{m}.conv1", input, inplanes, planes, kernel: 1);
                    x = g.BatchNorm($"{m}.bn1", x, planes);
                    x = g.Relu($"{m}.relu", x);
                    x = g.Conv($"{m}.conv2", x, planes, planes, kernel: 3, stride: stride, padding: 1);
                    x = g.BatchNorm($"{m}.bn2", x, planes);
                    x = g.Relu($"{m}.relu", x);
                    x = g.Conv($"{m}.conv3", x, planes, planes * expansion, kernel: 1);
                    x = g.BatchNorm($"{m}.bn3", x, planes * expansion);
                }
                else
                {
                    x = g.Conv($"{m}.conv1", input, inplanes, planes, kernel: 3, stride: stride, padding: 1);
                    x = g.BatchNorm($"{m}.bn1", x, planes);
                    x = g.Relu($"{m}.relu", x);
                    x = g.Conv($"{m}.conv2", x, planes, planes, kernel: 3, padding: 1);
                    x = g.BatchNorm($"{m}.bn2", x, planes);
                }
                var main = x;
                var identity = input;
                if (stride != 1 || inplanes != planes * expansion)
                {
                    identity = g.Conv($"{m}.downsample.0", input, inplanes, planes * expansion, kernel: 1, stride: stride);
                    identity = g.BatchNorm($"{m}.downsample.1", identity, planes * expansion);
                }
                x = g.Add($"{m}.add", main, identity);
                x = g.Relu($"{m}.relu", x);
                inplanes = planes * expansion;
            }
        }
        x = g.GlobalAvgPool("avgpool", x);
        x = g.Flatten("flatten", x);
        return (x, inplanes);
    }

    // timm legacy_xception's blocks: (in, out, reps, stride, start_with_relu, grow_first).
    private static readonly (int In, int Out, int Reps, int Stride, bool StartWithRelu, bool GrowFirst)[] XceptionBlocks =
    [
        (64, 128, 2, 2, false, true),
        (128, 256, 2, 2, true, true),
        (256, 728, 2, 2, true, true),
        (728, 728, 3, 1, true, true), (728, 728, 3, 1, true, true), (728, 728, 3, 1, true, true), (728, 728, 3, 1, true, true),
        (728, 728, 3, 1, true, true), (728, 728, 3, 1, true, true), (728, 728, 3, 1, true, true), (728, 728, 3, 1, true, true),
        (728, 1024, 2, 2, true, false),
    ];

    /// <summary>
    /// timm <c>legacy_xception</c>. Stem: conv1 3×3/2 (no padding) → bn1 → act1 → conv2 3×3 (no padding)
    /// → bn2 → act2. Twelve blocks; block k's <c>rep</c> Sequential holds, per repetition, ReLU,
    /// SeparableConv2d(3×3, padding 1) and BN at consecutive indices (the leading ReLU dropped when the
    /// block does not start with one, so indices shift down by one), then MaxPool2d(3, stride, padding 1)
    /// if the block is strided. With grow_first the first repetition changes the width, otherwise the last.
    /// A block whose width or stride changes has <c>skip</c> (1×1 conv, stride, no bias) and
    /// <c>skipbn</c> on the block input; otherwise the input itself is added. The first ReLU of a block
    /// reads the block input into a new value: the skip path sees the input before that ReLU. Exit:
    /// conv3 (separable 1024→1536) → bn3 → act3 → conv4 (separable 1536→2048) → bn4 → act4, global
    /// average pool (<c>global_pool.pool</c>, <c>global_pool.flatten</c>).
    /// </summary>
    public static (string Output, int Features) Xception(GraphBuilder g, ModelSpec spec)
    {
        var x = g.Conv("conv1", ModelGraph.InputName, spec.InputChannels, 32, kernel: 3, stride: 2);
        x = g.BatchNorm("bn1", x, 32);
        x = g.Relu("act1", x);
        x = g.Conv("conv2", x, 32, 64, kernel: 3);
        x = g.BatchNorm("bn2", x, 64);
        x = g.Relu("act2", x);

        for (var k = 0; k < XceptionBlocks.Length; k++)
        {
            var (inC, outC, reps, stride, startWithRelu, growFirst) = XceptionBlocks[k];
            var m = $"block{k + 1}";
            var input = x;
            var identity = input;
            if (outC != inC || stride != 1)
            {
                // Registered before rep in timm, so first in the state_dict.
                identity = g.Conv($"{m}.skip", input, inC, outC, kernel: 1, stride: stride);
                identity = g.BatchNorm($"{m}.skipbn", identity, outC);
            }
            x = input;
            var index = startWithRelu ? 0 : -1; // index of the repetition's ReLU in rep
            for (var r = 0; r < reps; r++)
            {
                var repIn = growFirst ? (r == 0 ? inC : outC) : inC;
                var repOut = growFirst ? outC : (r < reps - 1 ? inC : outC);
                if (index >= 0)
                    x = g.Relu($"{m}.rep.{index}", x);
                x = Separable(g, $"{m}.rep.{index + 1}", x, repIn, repOut);
                x = g.BatchNorm($"{m}.rep.{index + 2}", x, repOut);
                index += 3;
            }
            if (stride != 1)
                x = g.MaxPool($"{m}.rep.{index}", x, kernel: 3, stride: stride, padding: 1);
            x = g.Add($"{m}.add", x, identity);
        }

        x = Separable(g, "conv3", x, 1024, 1536);
        x = g.BatchNorm("bn3", x, 1536);
        x = g.Relu("act3", x);
        x = Separable(g, "conv4", x, 1536, 2048);
        x = g.BatchNorm("bn4", x, 2048);
        x = g.Relu("act4", x);
        x = g.GlobalAvgPool("global_pool.pool", x);
        x = g.Flatten("global_pool.flatten", x);
        return (x, 2048);
    }

    // timm's SeparableConv2d: depthwise 3×3 (groups = in, padding 1, no bias) as .conv1, then 1×1 .pointwise.
    private static string Separable(GraphBuilder g, string module, string input, int inChannels, int outChannels)
    {
        var x = g.Conv($"{module}.conv1", input, inChannels, inChannels, kernel: 3, padding: 1, groups: inChannels);
        return g.Conv($"{module}.pointwise", x, inChannels, outChannels, kernel: 1);
    }

    /// <summary>
    /// The head on the pooled features: linear = <c>{head}</c> Linear(features, classes); dense = a
    /// Sequential <c>{head}.0</c> Linear(features, units) → <c>.1</c> ReLU → <c>.2</c> Dropout →
    /// <c>.3</c> Linear(units, classes).
    /// </summary>
    public static void Head(GraphBuilder g, ModelSpec spec, string head, string features, int featureCount)
    {
        if (spec.Head == ClassifierHead.Linear)
        {
            g.Linear(head, features, featureCount, spec.ClassCount);
            return;
        }
        var x = g.Linear($"{head}.0", features, featureCount, spec.DenseUnits);
        x = g.Relu($"{head}.1", x);
        x = g.Dropout($"{head}.2", x, spec.DropoutRate);
        g.Linear($"{head}.3", x, spec.DenseUnits, spec.ClassCount);
    }
}
