using CudaGenre.Core.Models;
using CudaGenre.Trainer.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Models;

/// <summary>
/// Seeded random weights and inputs for validating the engine without a trained model: TorchSharp's
/// default initialization, then every BatchNorm layer gets random affine parameters and random running
/// statistics (so that folding BN into the convolution is really exercised; fresh BN layers have mean 0,
/// variance 1, weight 1, bias 0, which would hide a folding bug).
/// </summary>
internal static class RandomModel
{
    /// <summary>Builds <paramref name="spec"/>'s network with random weights drawn from <paramref name="seed"/>.</summary>
    public static GraphModule Create(ModelSpec spec, ulong seed)
    {
        manual_seed(unchecked((long)seed));
        var model = new GraphModule(ModelGraph.Build(spec));
        RandomizeBatchNorm(model);
        model.eval();
        return model;
    }

    /// <summary>
    /// For each BatchNorm2d: weight ~ U(0.5, 1.5), bias ~ N(0, 0.1²), running_mean ~ N(0, 0.1²),
    /// running_var ~ U(0.5, 2), num_batches_tracked = 100. Ranges keep deep networks' activations in a
    /// sane range while making every term of the BN formula matter.
    /// </summary>
    public static void RandomizeBatchNorm(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not BatchNorm2d bn)
                continue;
            var c = bn.weight!.shape[0];
            bn.weight.copy_(rand(c).mul_(1.0).add_(0.5));
            bn.bias!.copy_(randn(c).mul_(0.1));
            bn.running_mean!.copy_(randn(c).mul_(0.1));
            bn.running_var!.copy_(rand(c).mul_(1.5).add_(0.5));
            bn.num_batches_tracked?.fill_(100);
        }
    }

    /// <summary><paramref name="count"/> random inputs N(0, 1) in the model's input shape (already "normalized"), with random labels.</summary>
    public static SpectrogramSet RandomInputs(ModelSpec spec, int count, ulong seed)
    {
        var generator = new Generator(unchecked((ulong)(long)CudaGenre.Core.SeededRandom.Mix(seed, 0x696e)));
        var settings = spec.ToPreprocessSettings();
        var inputs = new List<float[]>(count);
        var labels = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            using var x = randn([settings.TensorLength], generator: generator);
            inputs.Add(x.data<float>().ToArray());
            labels.Add(i % spec.ClassCount);
        }

        return SpectrogramSet.FromInputs(inputs, labels, settings);
    }
}
