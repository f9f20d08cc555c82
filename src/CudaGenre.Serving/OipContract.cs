using CudaGenre.Engine;

namespace CudaGenre.Serving;

/// <summary>A request that breaks the protocol or a limit: HTTP 400 / gRPC INVALID_ARGUMENT, the message naming the field.</summary>
public sealed class InvalidRequestException(string message) : Exception(message);

/// <summary>What the request parsers need to know of a model: its name, input tensor and batch limit.</summary>
/// <param name="Model">The model's name (for messages).</param>
/// <param name="Channels">Input channels (C of NCHW).</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="MaxBatchSize">Most items per request.</param>
internal sealed record TensorContract(string Model, int Channels, int Height, int Width, int MaxBatchSize)
{
    /// <summary>Floats per item.</summary>
    public int InputLength => Channels * Height * Width;
}

/// <summary>What every served model looks like through the Open Inference Protocol, and the checks shared by REST and gRPC.</summary>
internal static class OipContract
{
    public const string InputName = "input";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";
    public const string Fp32 = "FP32";
    public const string Version = "1";
    public const string Platform = "cudagenre";
    public static readonly string[] OutputNames = [LogitsName, ProbabilitiesName];
    public static readonly string[] Extensions = ["binary_tensor_data", "classify"];

    /// <summary>Checks an input tensor's name, datatype and shape against the model; returns the item count.</summary>
    public static int CheckInput(TensorContract model, string field, string? name, string? datatype, IReadOnlyList<long> shape)
    {
        if (name != InputName)
            throw new InvalidRequestException($"{field}.name: model '{model.Model}' has one input, named '{InputName}'; got '{name}'.");
        if (datatype != Fp32)
            throw new InvalidRequestException($"{field}.datatype: expected {Fp32}; got '{datatype}'.");
        var max = model.MaxBatchSize;
        var expected = $"[n, {model.Channels}, {model.Height}, {model.Width}] with 1 ≤ n ≤ {max}";
        if (shape.Count != 4 || shape[0] < 1 || shape[0] > max || shape[1] != model.Channels || shape[2] != model.Height || shape[3] != model.Width)
            throw new InvalidRequestException($"{field}.shape: expected {expected} (NCHW); got [{string.Join(", ", shape)}].");
        return (int)shape[0];
    }

    /// <summary>Checks a requested output's name.</summary>
    public static void CheckOutput(TensorContract model, string field, string? name)
    {
        if (name is null || !OutputNames.Contains(name))
            throw new InvalidRequestException($"{field}.name: model '{model.Model}' has outputs {string.Join(" and ", OutputNames.Select(n => $"'{n}'"))}; got '{name}'.");
    }

    /// <summary>The softmax of each row of <paramref name="logits"/>.</summary>
    public static float[] Probabilities(ServedModel model, float[] logits, int items)
    {
        var classes = model.Session.ClassCount;
        var result = new float[logits.Length];
        for (var i = 0; i < items; i++)
            Classification.FromLogits(model.Session.ClassNames, logits[(i * classes)..((i + 1) * classes)]).Probabilities.CopyTo(result, i * classes);
        return result;
    }

    /// <summary>A client's timeout in microseconds as a TimeSpan (null: none given).</summary>
    public static TimeSpan? Timeout(long? microseconds, string field) => microseconds switch
    {
        null => null,
        <= 0 or > 3_600_000_000 => throw new InvalidRequestException($"{field}: the timeout must be 1 µs to 1 hour, in microseconds; got {microseconds}."),
        _ => TimeSpan.FromMicroseconds(microseconds.Value),
    };

    /// <summary>The smaller of two optional timeouts.</summary>
    public static TimeSpan? Earliest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
