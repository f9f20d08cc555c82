using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Models;

/// <summary>Moves weights between TorchSharp modules and safetensors files, by state_dict name.</summary>
internal static class StateDict
{
    /// <summary>
    /// Adds every state_dict tensor of <paramref name="module"/> to <paramref name="writer"/> under its own
    /// name: float32 parameters and BatchNorm running statistics as F32, <c>num_batches_tracked</c> as I64.
    /// </summary>
    public static void AddTo(SafetensorsWriter writer, nn.Module module)
    {
        foreach (var (name, value) in module.state_dict())
        {
            using var cpu = value.detach().cpu().contiguous();
            var shape = new TensorShape([.. cpu.shape.Select(d => checked((int)d))]);
            switch (cpu.dtype)
            {
                case ScalarType.Float32:
                    writer.Add(name, shape, cpu.data<float>().ToArray());
                    break;
                case ScalarType.Int64:
                    writer.Add(name, shape, cpu.data<long>().ToArray());
                    break;
                default:
                    throw new NotSupportedException($"state_dict tensor '{name}' is {cpu.dtype}; only float32 and int64 are exported.");
            }
        }
    }

    /// <summary>
    /// Copies the tensors of <paramref name="file"/> into <paramref name="module"/>'s state (in place, no
    /// gradient), after checking them against <paramref name="graph"/>. With <paramref name="skipHead"/>,
    /// the classifier head keeps its fresh initialization (a pretrained file's head has other classes).
    /// Files without <c>num_batches_tracked</c> (some exports) are accepted.
    /// </summary>
    /// <returns>The number of tensors copied.</returns>
    /// <exception cref="DataFileException">A tensor is missing, extra, or of the wrong shape or type.</exception>
    public static int LoadInto(nn.Module module, ModelGraph graph, SafetensorsFile file, bool skipHead)
    {
        var check = WeightCheck.AllowMissingBatchCounters | (skipHead ? WeightCheck.IgnoreHead : WeightCheck.Strict);
        graph.CheckWeights(file, check);
        var state = module.state_dict();
        var copied = 0;
        using var noGrad = no_grad();
        foreach (var (name, target) in state)
        {
            if ((skipHead && graph.IsHead(name)) || !file.Contains(name))
                continue;
            var entry = file.Entry(name);
            using var source = entry.DType switch
            {
                TensorDType.F32 => tensor(file.ToSingleArray(name), target.shape),
                TensorDType.I64 => tensor(file.ToInt64Array(name), target.shape),
                _ => throw new DataFileException(file.Path, $"tensor '{name}' is {entry.DType.SafetensorsName()}; F32 (I64 for num_batches_tracked) expected"),
            };
            target.copy_(source);
            copied++;
        }

        return copied;
    }

    /// <summary>The float values of a [N, ...] tensor as one array (row-major).</summary>
    public static float[] ToArray(Tensor t)
    {
        using var cpu = t.detach().cpu().contiguous();
        return cpu.data<float>().ToArray();
    }
}
