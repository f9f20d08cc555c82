using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Metrics;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Training;

/// <summary>
/// Everything needed to continue a run after its last finished epoch exactly as if it had not stopped:
/// the weights, the best epoch's weights, Adam's state, libtorch's random generator state, and the curves
/// so far. The data order and augmentation need no state: they are seeded by (seed, epoch).
/// </summary>
/// <remarks>
/// File format (<c>checkpoint.bin</c>, written atomically after every epoch): the ASCII line
/// <c>cudagenre-checkpoint/1\n</c>, the payload length (int64, little-endian), the SHA-256 of the payload
/// (32 bytes), then the payload: a JSON header (length-prefixed UTF-8), the model tensors, the best tensors,
/// the optimizer state (TorchSharp's <c>save_state_dict</c> bytes) and the generator state. Tensors are
/// written as name, dtype, shape and raw little-endian data. The hash makes a truncated or damaged file an
/// error, not a silently different run.
/// </remarks>
internal sealed class Checkpoint : IDisposable
{
    public const string FileName = "checkpoint.bin";
    private const string Magic = "cudagenre-checkpoint/1\n";
    private const int MaxTensors = 100_000;
    private const int MaxDims = 8;

    /// <summary>SHA-256 of the run's options (see <see cref="RunOptionsJson.Fingerprint(RunOptions)"/>): a checkpoint continues only the run it came from.</summary>
    public required string OptionsFingerprint { get; set; }

    /// <summary>The split the run trains on.</summary>
    public required string SplitHash { get; set; }

    /// <summary>The last finished epoch.</summary>
    public required int Epoch { get; init; }

    /// <summary>Metrics of epochs 1 … <see cref="Epoch"/>.</summary>
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }

    /// <summary>The epoch whose weights are <see cref="Best"/>.</summary>
    public required int BestEpoch { get; init; }

    /// <summary>Wall seconds of each full training pass so far.</summary>
    public required IReadOnlyList<double> TrainSeconds { get; init; }

    /// <summary>True when the patience ran out at <see cref="Epoch"/>: nothing is left to train.</summary>
    public required bool StoppedEarly { get; init; }

    /// <summary>The model's state_dict after epoch <see cref="Epoch"/>.</summary>
    public required IReadOnlyDictionary<string, Tensor> Model { get; init; }

    /// <summary>The state_dict of the best epoch.</summary>
    public required IReadOnlyDictionary<string, Tensor> Best { get; init; }

    /// <summary>The optimizer state, as TorchSharp writes it.</summary>
    public required byte[] Optimizer { get; init; }

    /// <summary>libtorch's default CPU generator state (<c>torch.get_rng_state()</c>).</summary>
    public required byte[] RandomState { get; init; }

    /// <summary>Writes the checkpoint atomically: a reader sees the previous one or this one, never a mix.</summary>
    public void Save(string path)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            var header = new JsonObject
            {
                ["optionsFingerprint"] = OptionsFingerprint,
                ["splitHash"] = SplitHash,
                ["epoch"] = Epoch,
                ["bestEpoch"] = BestEpoch,
                ["stoppedEarly"] = StoppedEarly,
                ["trainSeconds"] = new JsonArray([.. TrainSeconds.Select(s => JsonValue.Create(s))]),
                ["epochs"] = MetricsJson.ToJson(Epochs),
            };
            WriteBytes(writer, Encoding.UTF8.GetBytes(header.ToJsonString()));
            WriteTensors(writer, Model);
            WriteTensors(writer, Best);
            WriteBytes(writer, Optimizer);
            WriteBytes(writer, RandomState);
        }
        // Written straight from the stream's buffer: a ResNet50 checkpoint is about 380 MB, so no second copy.
        var buffer = payload.GetBuffer();
        var length = checked((int)payload.Length);
        var hash = SHA256.HashData(buffer.AsSpan(0, length));
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Encoding.ASCII.GetBytes(Magic));
            stream.Write(BitConverter.GetBytes((long)length));
            stream.Write(hash);
            stream.Write(buffer, 0, length);
        });
    }

    /// <summary>Reads and checks a checkpoint.</summary>
    /// <exception cref="DataFileException">Missing, not a checkpoint, truncated, or damaged.</exception>
    public static Checkpoint Load(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message})", e);
        }
        var magic = Encoding.ASCII.GetBytes(Magic);
        if (file.Length < magic.Length + 8 + 32 || !file.AsSpan(0, magic.Length).SequenceEqual(magic))
            throw new DataFileException(path, "not a CudaGenre checkpoint (wrong start of file)");
        var length = BitConverter.ToInt64(file, magic.Length);
        var start = magic.Length + 8 + 32;
        if (length < 0 || length != file.Length - start)
            throw new DataFileException(path, $"the checkpoint is truncated or damaged: it declares {length} payload bytes and holds {file.Length - start}");
        var payload = file.AsMemory(start);
        if (!SHA256.HashData(payload.Span).AsSpan().SequenceEqual(file.AsSpan(magic.Length + 8, 32)))
            throw new DataFileException(path, "the checkpoint is damaged: its SHA-256 does not match its contents");

        Dictionary<string, Tensor>? model = null, best = null;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(file, start, file.Length - start, writable: false), Encoding.UTF8);
            var header = JsonNode.Parse(Encoding.UTF8.GetString(ReadBytes(reader)))!.AsObject();
            model = ReadTensors(reader);
            best = ReadTensors(reader);
            var optimizer = ReadBytes(reader);
            var random = ReadBytes(reader);
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException("bytes left after the last section");
            var epochs = MetricsJson.FromJson(header["epochs"]!.AsArray());
            var epoch = (int)header["epoch"]!;
            var bestEpoch = (int)header["bestEpoch"]!;
            if (epoch < 1 || epochs.Count != epoch || bestEpoch < 1 || bestEpoch > epoch)
                throw new InvalidDataException($"epoch {epoch}, best epoch {bestEpoch} and {epochs.Count} epochs of metrics do not agree");
            return new Checkpoint
            {
                OptionsFingerprint = (string)header["optionsFingerprint"]!,
                SplitHash = (string)header["splitHash"]!,
                Epoch = epoch,
                BestEpoch = bestEpoch,
                StoppedEarly = (bool)header["stoppedEarly"]!,
                TrainSeconds = [.. header["trainSeconds"]!.AsArray().Select(s => (double)s!)],
                Epochs = epochs,
                Model = model,
                Best = best,
                Optimizer = optimizer,
                RandomState = random,
            };
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or FormatException or OverflowException)
        {
            Dispose(model);
            Dispose(best);
            throw new DataFileException(path, $"the checkpoint cannot be decoded ({e.Message})", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(Model);
        if (!ReferenceEquals(Best, Model) && Best is not BorrowedState)
            Dispose(Best);
    }

    private static void Dispose(IReadOnlyDictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
            return;
        foreach (var t in tensors.Values)
            t.Dispose();
    }

    private static void WriteBytes(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"a section declares {length} bytes, more than remain");
        return reader.ReadBytes(length);
    }

    private static void WriteTensors(BinaryWriter writer, IReadOnlyDictionary<string, Tensor> tensors)
    {
        writer.Write(tensors.Count);
        foreach (var (name, value) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            using var t = value.detach().cpu().contiguous();
            writer.Write(name);
            writer.Write((int)t.dtype);
            writer.Write(t.shape.Length);
            foreach (var d in t.shape)
                writer.Write(d);
            var bytes = t.dtype switch
            {
                ScalarType.Float32 => MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray(),
                ScalarType.Float64 => MemoryMarshal.AsBytes(t.data<double>().ToArray().AsSpan()).ToArray(),
                ScalarType.Int64 => MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()).ToArray(),
                ScalarType.Byte => t.data<byte>().ToArray(),
                _ => throw new NotSupportedException($"Tensor '{name}' has dtype {t.dtype}, which checkpoints do not store."),
            };
            WriteBytes(writer, bytes);
        }
    }

    private static Dictionary<string, Tensor> ReadTensors(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0 || count > MaxTensors)
            throw new InvalidDataException($"{count} tensors declared");
        var tensors = new Dictionary<string, Tensor>(count, StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var dtype = (ScalarType)reader.ReadInt32();
                var rank = reader.ReadInt32();
                if (rank < 0 || rank > MaxDims)
                    throw new InvalidDataException($"tensor '{name}' has rank {rank}");
                var shape = new long[rank];
                long elements = 1;
                for (var d = 0; d < rank; d++)
                {
                    shape[d] = reader.ReadInt64();
                    if (shape[d] < 0)
                        throw new InvalidDataException($"tensor '{name}' has a negative dimension");
                    elements = checked(elements * shape[d]);
                }
                var bytes = ReadBytes(reader);
                var size = dtype switch
                {
                    ScalarType.Float32 => 4,
                    ScalarType.Float64 or ScalarType.Int64 => 8,
                    ScalarType.Byte => 1,
                    _ => throw new InvalidDataException($"tensor '{name}' has dtype {dtype}"),
                };
                if (checked(elements * size) != bytes.Length)
                    throw new InvalidDataException($"tensor '{name}' of shape [{string.Join(", ", shape)}] holds {bytes.Length} bytes, not {elements * size}");
                if (!tensors.TryAdd(name, dtype switch
                {
                    ScalarType.Float32 => tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
                    ScalarType.Float64 => tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
                    ScalarType.Int64 => tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
                    _ => tensor(bytes, shape),
                }))
                {
                    throw new InvalidDataException($"tensor '{name}' appears twice");
                }
            }
            return tensors;
        }
        catch
        {
            Dispose(tensors);
            throw;
        }
    }
}

/// <summary>Epoch metrics to and from JSON (checkpoint, progress file).</summary>
internal static class MetricsJson
{
    public static JsonArray ToJson(IEnumerable<EpochMetrics> epochs)
    {
        var array = new JsonArray();
        foreach (var e in epochs)
        {
            array.Add(new JsonObject
            {
                ["epoch"] = e.Epoch,
                ["trainLoss"] = e.TrainLoss,
                ["trainAccuracy"] = e.TrainAccuracy,
                ["validationLoss"] = e.ValidationLoss,
                ["validationAccuracy"] = e.ValidationAccuracy,
                ["validationBalancedAccuracy"] = e.ValidationBalancedAccuracy,
            });
        }
        return array;
    }

    public static List<EpochMetrics> FromJson(JsonArray array)
        => [.. array.Select(n => new EpochMetrics(
            (int)n!["epoch"]!,
            (double)n["trainLoss"]!,
            (double)n["validationLoss"]!,
            (double)n["trainAccuracy"]!,
            (double)n["validationAccuracy"]!,
            (double)n["validationBalancedAccuracy"]!))];
}
