using System.Globalization;
using System.Text;

namespace CudaGenre.Serving.Tests.Fuzz;

/// <summary>
/// The server's request parsers as fuzz targets, run by the shared fuzz runner (tests/Shared/Fuzz, as the Core targets):
/// every input is parsed or refused with an <see cref="InvalidRequestException"/> (a 400 naming the field), within
/// the allocation bound, never another exception or a hang. Bounded for CI like the Core targets; the corpus is
/// generated (<see cref="Seeds"/>), not committed.
/// </summary>
public sealed class ServingFuzzTests(ITestOutputHelper output)
{
    /// <summary>A small model: 3×4×4 inputs, at most 4 per request.</summary>
    internal static readonly TensorContract Contract = new("cnn", 3, 4, 4, 4);

    /// <summary>The OIP JSON infer request (no binary part).</summary>
    public static readonly FuzzTarget Json = new(
        "oip-json",
        bytes => HttpEndpoints.ParseInfer(Contract, null, bytes),
        [typeof(InvalidRequestException)],
        length => 1 * MiB + 64 * length);

    /// <summary>
    /// The binary-tensor extension: the input is the Inference-Header-Content-Length value (as Latin-1), a newline,
    /// then the body (JSON header and raw tensor bytes).
    /// </summary>
    public static readonly FuzzTarget Binary = new(
        "oip-binary",
        bytes =>
        {
            var newline = Array.IndexOf(bytes, (byte)'\n');
            var header = newline < 0 ? null : Encoding.Latin1.GetString(bytes, 0, newline);
            HttpEndpoints.ParseInfer(Contract, header, newline < 0 ? bytes : bytes[(newline + 1)..]);
        },
        [typeof(InvalidRequestException)],
        length => 1 * MiB + 64 * length);

    private const long MiB = 1 << 20;

    public static IReadOnlyList<FuzzTarget> All { get; } = [Json, Binary];

    public static readonly IReadOnlyDictionary<string, long> CiIterations = new Dictionary<string, long>
    {
        ["oip-json"] = 50_000,
        ["oip-binary"] = 50_000,
    };

    public static TheoryData<string> Targets => [.. All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_survives_its_corpus_and_mutations(string name)
    {
        var mutated = FuzzRunner.Run(All.Single(t => t.Name == name), Seeds(name), CiIterations[name], output);
        Assert.True(mutated.Cases > mutated["ok"], $"{name}: every mutated case was accepted; the parser checks nothing?");
    }

    /// <summary>What the fuzz targets found: invalid UTF-8 inside a JSON string was an InvalidOperationException (a 500).</summary>
    [Fact]
    public void Regression_invalid_utf8_in_a_string_is_a_clear_400()
    {
        var json = Encoding.UTF8.GetBytes("""{"inputs":[{"name":"inXput","datatype":"FP32","shape":[1,3,4,4],"data":[]}]}""");
        json[Array.IndexOf(json, (byte)'X')] = 0xB9; // a continuation byte with no lead byte
        var e = Assert.Throws<InvalidRequestException>(() => HttpEndpoints.ParseInfer(Contract, null, json));
        Assert.Equal("the JSON part of the body is not valid UTF-8.", e.Message);
        // The binary part may hold any bytes: only the JSON part is checked.
        var seed = Seeds("oip-binary")[0].Bytes;
        seed[^1] = 0xB9;
        Assert.Equal(1, HttpEndpointsParse(seed).Items);
    }

    private static HttpEndpoints.InferRequest HttpEndpointsParse(byte[] input)
    {
        var newline = Array.IndexOf(input, (byte)'\n');
        return HttpEndpoints.ParseInfer(Contract, Encoding.Latin1.GetString(input, 0, newline), input[(newline + 1)..]);
    }

    /// <summary>Valid requests for <see cref="Contract"/>: flat and nested data, every optional field; binary ones with their header value.</summary>
    internal static IReadOnlyList<(string Name, byte[] Bytes)> Seeds(string target)
    {
        var values = Enumerable.Range(0, 2 * Contract.InputLength).Select(i => MathF.Round(MathF.Sin(i * 0.7f) * 3, 3)).ToArray();
        string Numbers(IEnumerable<float> v) => string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        if (target == "oip-json")
        {
            var nested = string.Join(",", Enumerable.Range(0, 3).Select(c => "[" + string.Join(",", Enumerable.Range(0, 4).Select(y => "[" + Numbers(values.Skip(c * 16 + y * 4).Take(4)) + "]")) + "]"));
            return
            [
                ("seed-flat.json", Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3,4,4],"data":[{{Numbers(values.Take(48))}}]}]}""")),
                ("seed-nested-all-fields.json", Encoding.UTF8.GetBytes($$$"""{"id":"r1","parameters":{"timeout":250000,"binary_data_output":false},"inputs":[{"name":"input","datatype":"FP32","shape":[1,3,4,4],"data":[[{{{nested}}}]]}],"outputs":[{"name":"probabilities","parameters":{"binary_data":true}},{"name":"logits"}]}""")),
                ("seed-batch2.json", Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[2,3,4,4],"data":[{{Numbers(values)}}]}],"outputs":[{"name":"logits"}]}""")),
            ];
        }
        byte[] WithBinary(string json, float[] tensor)
        {
            var head = Encoding.UTF8.GetBytes(json);
            var raw = System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.AsSpan()).ToArray();
            return [.. Encoding.ASCII.GetBytes(head.Length.ToString(CultureInfo.InvariantCulture) + "\n"), .. head, .. raw];
        }
        return
        [
            ("seed-binary-1.bin", WithBinary("""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3,4,4],"parameters":{"binary_data_size":192}}],"outputs":[{"name":"logits","parameters":{"binary_data":true}}]}""", values[..48])),
            ("seed-binary-2.bin", WithBinary("""{"id":"b","parameters":{"binary_data_output":true},"inputs":[{"name":"input","datatype":"FP32","shape":[2,3,4,4],"parameters":{"binary_data_size":384}}]}""", values)),
            ("seed-json-no-header.bin", Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3,4,4],"data":[{{Numbers(values.Take(48))}}]}]}""")),
        ];
    }
}
