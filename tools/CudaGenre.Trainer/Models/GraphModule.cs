using CudaGenre.Core.Models;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Models;

/// <summary>
/// A TorchSharp network built from a <see cref="ModelGraph"/>, the one description of each architecture
/// that the engine builds from too. Every node with parameters becomes a TorchSharp leaf module
/// (<c>nn.Conv2d</c>, <c>nn.BatchNorm2d</c>, <c>nn.Linear</c>) registered under its PyTorch module path,
/// one container per dotted segment (<c>layer1</c> → <c>0</c> → <c>conv1</c>), so that
/// <c>state_dict()</c> names are exactly the graph's (torchvision / timm) names. Parameterless nodes
/// (ReLU, pools, flatten, dropout, add) run as functions. <see cref="forward"/> executes the node list
/// in order.
/// </summary>
internal sealed class GraphModule : nn.Module<Tensor, Tensor>
{
    private readonly Step[] _steps;
    private readonly string _output;

    /// <summary>Builds the modules of <paramref name="graph"/>, initialized by TorchSharp's defaults (seeded by <c>torch.manual_seed</c>).</summary>
    public GraphModule(ModelGraph graph)
        : base(graph.Spec.Architecture.Name())
    {
        Graph = graph;
        var containers = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            foreach (var input in graph.Nodes[i].Inputs)
                lastUse[input] = i;
        }

        _steps = new Step[graph.Nodes.Count];
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            nn.Module<Tensor, Tensor>? leaf = node switch
            {
                Conv2dNode c => nn.Conv2d(
                    c.InChannels, c.OutChannels, (c.Kernel.Height, c.Kernel.Width),
                    stride: (c.Stride.Height, c.Stride.Width), padding: (c.Padding.Height, c.Padding.Width),
                    groups: c.Groups, bias: c.HasBias),
                BatchNorm2dNode b => nn.BatchNorm2d(b.Channels, eps: b.Epsilon),
                LinearNode l => nn.Linear(l.InFeatures, l.OutFeatures),
                _ => null,
            };
            if (leaf is not null)
                Register(containers, node.Module, leaf);
            // Values no later node reads can be released right after this step (the output is kept).
            var release = node.Inputs.Distinct().Where(v => v != ModelGraph.InputName && lastUse[v] == i).ToArray();
            _steps[i] = new Step(node, leaf, release);
        }

        _output = graph.Output;
    }

    /// <summary>The graph this network was built from.</summary>
    public ModelGraph Graph { get; }

    /// <summary>Maps an NCHW float32 batch to its output ([N, classes] logits).</summary>
    public override Tensor forward(Tensor input) => ForwardTo(_output, input);

    /// <summary>Runs the nodes in order until <paramref name="value"/> is computed and returns it (e.g. the pooled features).</summary>
    public Tensor ForwardTo(string value, Tensor input)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [ModelGraph.InputName] = input };
        foreach (var step in _steps)
        {
            var node = step.Node;
            var x = values[node.Input];
            var y = node switch
            {
                Conv2dNode or BatchNorm2dNode or LinearNode => step.Leaf!.forward(x),
                ReluNode => nn.functional.relu(x),
                MaxPool2dNode m => nn.functional.max_pool2d(
                    x, [m.Kernel.Height, m.Kernel.Width], [m.Stride.Height, m.Stride.Width], [m.Padding.Height, m.Padding.Width]),
                GlobalAvgPoolNode => nn.functional.adaptive_avg_pool2d(x, [1, 1]),
                FlattenNode => x.flatten(1),
                DropoutNode d => nn.functional.dropout(x, d.Probability, training),
                AddNode a => x.add(values[a.Right]),
                _ => throw new NotSupportedException($"The trainer cannot run graph node kind {node.Kind} ('{node.Output}')."),
            };
            if (node.Output == value)
            {
                foreach (var (name, kept) in values)
                {
                    if (name != ModelGraph.InputName)
                        kept.Dispose();
                }

                return y;
            }

            values[node.Output] = y;
            // Autograd holds its own references to what it saved, so dropping ours is safe in training too.
            foreach (var name in step.Release)
            {
                if (name != node.Output && values.Remove(name, out var dead))
                    dead.Dispose();
            }
        }

        throw new ArgumentException($"The graph has no value '{value}'.", nameof(value));
    }

    private void Register(Dictionary<string, nn.Module> containers, string path, nn.Module leaf)
    {
        var segments = path.Split('.');
        nn.Module parent = this;
        var prefix = "";
        for (var s = 0; s < segments.Length - 1; s++)
        {
            prefix = s == 0 ? segments[0] : $"{prefix}.{segments[s]}";
            if (!containers.TryGetValue(prefix, out var container))
            {
                container = new Container(segments[s]);
                parent.register_module(segments[s], container);
                containers[prefix] = container;
            }

            parent = container;
        }

        parent.register_module(segments[^1], leaf);
    }

    private sealed record Step(ModelNode Node, nn.Module<Tensor, Tensor>? Leaf, string[] Release);

    /// <summary>A module that only groups children, like a PyTorch <c>nn.Sequential</c> or block is seen by <c>state_dict</c>.</summary>
    private sealed class Container(string name) : nn.Module(name);
}
