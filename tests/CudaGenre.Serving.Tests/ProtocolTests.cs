using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace CudaGenre.Serving.Tests;

/// <summary>The Open Inference Protocol's REST endpoints: success shapes and values, and the error shapes.</summary>
public sealed class ProtocolTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(1) }, configure: o => o.MaxRequestBodyBytes = 200_000);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Http => _server.Http;

    [Fact]
    public async Task Health_And_Metadata()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/v2/health/live", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/v2/health/ready", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/v2/models/cnn/ready", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/v2/models/cnn/versions/1/ready", TestContext.Current.CancellationToken)).StatusCode);

        var server = (await Http.GetFromJsonAsync<JsonObject>("/v2", TestContext.Current.CancellationToken))!;
        Assert.Equal("cudagenre", (string)server["name"]!);
        Assert.False(string.IsNullOrEmpty((string)server["version"]!));
        Assert.Contains("binary_tensor_data", server["extensions"]!.AsArray().Select(e => (string)e!));

        var model = (await Http.GetFromJsonAsync<JsonObject>("/v2/models/cnn", TestContext.Current.CancellationToken))!;
        Assert.Equal("cnn", (string)model["name"]!);
        Assert.Equal(["1"], model["versions"]!.AsArray().Select(v => (string)v!));
        var input = model["inputs"]!.AsArray().Single()!;
        Assert.Equal(("input", "FP32", "-1,3,32,32"), ((string)input["name"]!, (string)input["datatype"]!, string.Join(",", input["shape"]!.AsArray().Select(d => (long)d!))));
        Assert.Equal(["logits:-1,10", "probabilities:-1,10"], model["outputs"]!.AsArray().Select(o => $"{o!["name"]}:{string.Join(",", o["shape"]!.AsArray().Select(d => (long)d!))}"));
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/v2/models/cnn/versions/1", TestContext.Current.CancellationToken)).StatusCode);

        var index = await Http.PostAsync("/v2/repository/index", null, TestContext.Current.CancellationToken);
        Assert.Equal("application/json", index.Content.Headers.ContentType?.MediaType);
        var entries = JsonNode.Parse(await index.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsArray();
        Assert.Equal(["cnn/1/READY"], entries.Select(e => $"{e!["name"]}/{e["version"]}/{e["state"]}"));
    }

    [Theory]
    [InlineData("GET", "/v2/models/nope", 404, "model 'nope' is not served here; the models are: cnn.")]
    [InlineData("GET", "/v2/models/nope/ready", 404, "model 'nope' is not served here")]
    [InlineData("GET", "/v2/models/cnn/versions/2", 404, "has only version 1; got version '2'")]
    [InlineData("POST", "/v2/models/nope/infer", 404, "model 'nope' is not served here")]
    public async Task UnknownModelOrVersion_Is404_WithTheSpecsErrorBody(string method, string path, int status, string message)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent("{}") : null };
        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.Equal(["error"], body.Select(p => p.Key));
        Assert.Contains(message, (string)body["error"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InferJson_ReturnsEachItemsLogitsAndProbabilities_AndEchoesTheId()
    {
        var inputs = TestModel.Input(3, seed: 101);
        var (status, body, _) = await _server.Infer(inputs, id: "req-7");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("cnn", "1", "req-7"), ((string)body!["model_name"]!, (string)body["model_version"]!, (string)body["id"]!));
        var expected = TestModel.Expected(inputs);
        var logits = RunningServer.Output(body, "logits");
        TestModel.AssertClose(expected, logits);
        var probabilities = RunningServer.Output(body, "probabilities");
        for (var i = 0; i < 3; i++)
        {
            var reference = Engine.Classification.FromLogits(TestModel.Session.Spec.ClassNames, logits[(i * 10)..((i + 1) * 10)]).Probabilities;
            Assert.Equal(reference, probabilities[(i * 10)..((i + 1) * 10)]);
        }
        Assert.All(body["outputs"]!.AsArray(), o => Assert.Equal("3,10", string.Join(",", o!["shape"]!.AsArray().Select(d => (long)d!))));
    }

    [Fact]
    public async Task InferJson_TakesNestedData_AndOneRequestedOutput()
    {
        var inputs = TestModel.Input(1, seed: 102);
        // [1][3][32][32] nested arrays, as the spec allows.
        var nested = new JsonArray(new JsonArray([.. Enumerable.Range(0, 3).Select(c => (JsonNode)new JsonArray([.. Enumerable.Range(0, 32).Select(y => (JsonNode)new JsonArray([.. Enumerable.Range(0, 32).Select(x => (JsonNode)inputs[(c * 32 + y) * 32 + x])]))]))]));
        var body = RunningServer.InferBody(inputs);
        body["inputs"]![0]!["data"] = nested;
        body["outputs"] = new JsonArray(new JsonObject { ["name"] = "probabilities" });
        var response = await Http.PostAsJsonAsync("/v2/models/cnn/infer", body, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var output = result["outputs"]!.AsArray().Single()!;
        Assert.Equal("probabilities", (string)output["name"]!);
        var expected = Engine.Classification.FromLogits(TestModel.Session.Spec.ClassNames, TestModel.Expected(inputs)).Probabilities;
        TestModel.AssertClose(expected, RunningServer.Floats(output["data"]));
    }

    [Fact]
    public async Task InferBinary_RoundTripsTheTensorBytes()
    {
        var inputs = TestModel.Input(2, seed: 103);
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "input", ["datatype"] = "FP32", ["shape"] = new JsonArray(2, 3, 32, 32),
                ["parameters"] = new JsonObject { ["binary_data_size"] = inputs.Length * 4 },
            }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = "logits", ["parameters"] = new JsonObject { ["binary_data"] = true } }),
        };
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var content = new ByteArrayContent([.. json, .. MemoryMarshal.AsBytes(inputs.AsSpan()).ToArray()]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/cnn/infer") { Content = content };
        request.Headers.Add("Inference-Header-Content-Length", json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var responseHeader = JsonNode.Parse(bytes.AsSpan(0, jsonLength))!;
        var output = responseHeader["outputs"]!.AsArray().Single()!;
        Assert.Equal(80, (int)output["parameters"]!["binary_data_size"]!);
        Assert.Null(output["data"]);
        Assert.Equal(jsonLength + 80, bytes.Length);
        TestModel.AssertClose(TestModel.Expected(inputs), MemoryMarshal.Cast<byte, float>(bytes.AsSpan(jsonLength)).ToArray());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{\"inputs\": [", "the body is not valid JSON" },
        { "[1, 2]", "the request must be a JSON object" },
        { "{}", "inputs: missing" },
        { "{\"inputs\": {}}", "inputs: expected a JSON array" },
        { Body(name: "image"), "inputs[0].name: model 'cnn' has one input, named 'input'; got 'image'." },
        { Body(datatype: "INT64"), "inputs[0].datatype: expected FP32; got 'INT64'." },
        { Body(shape: "[1, 3, 64, 64]"), "inputs[0].shape: expected [n, 3, 32, 32] with 1 ≤ n ≤ 4 (NCHW); got [1, 3, 64, 64]." },
        { Body(shape: "[5, 3, 32, 32]"), "inputs[0].shape: expected [n, 3, 32, 32] with 1 ≤ n ≤ 4 (NCHW); got [5, 3, 32, 32]." },
        { Body(shape: "[1, 3, 32]"), "inputs[0].shape: expected [n, 3, 32, 32]" },
        { Body(shape: "[1, 3, 32, \"x\"]"), "inputs[0].shape[3]: expected an integer" },
        { Body(data: "[1, 2, 3]"), "inputs[0].data: shape [1, 3, 32, 32] needs 3072 numbers; got 3." },
        { Body(data: "[1, \"two\"]"), "inputs[0].data: element 1 must be a finite FP32 number; got \"two\"." },
        { Body(data: "[1e39]"), "inputs[0].data: element 0 must be a finite FP32 number; got 1e39." },
        { Body(data: "\"abc\""), "inputs[0].data: expected an array of numbers" },
        { Body(extra: ", \"outputs\": [{\"name\": \"label\"}]"), "outputs[0].name: model 'cnn' has outputs 'logits' and 'probabilities'; got 'label'." },
        { Body(extra: ", \"parameters\": {\"timeout\": -5}"), "parameters.timeout: the timeout must be 1 µs to 1 hour" },
        { Body(extra: ", \"id\": 5"), "id: expected a string" },
    };

    private static string Body(string name = "input", string datatype = "FP32", string shape = "[1, 3, 32, 32]", string? data = null, string extra = "") =>
        $"{{\"inputs\": [{{\"name\": \"{name}\", \"datatype\": \"{datatype}\", \"shape\": {shape}, \"data\": {data ?? "[" + string.Join(",", Enumerable.Repeat("0.5", 3072)) + "]"}}}]{extra}}}";

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadRequests_Are400_NamingTheFieldAndTheExpectedValue(string body, string message)
    {
        var response = await Http.PostAsync("/v2/models/cnn/infer", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (string)JsonNode.Parse(text)!["error"]!, StringComparison.Ordinal);
        // The server is still fine afterwards.
        Assert.Equal(HttpStatusCode.OK, (await _server.Infer(TestModel.Input(1, 5))).Status);
    }

    [Theory]
    [InlineData("abc", "Inference-Header-Content-Length: expected the byte length of the JSON part")]
    [InlineData("999999", "Inference-Header-Content-Length: expected the byte length of the JSON part")]
    public async Task BadBinaryHeader_Is400(string headerValue, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/cnn/infer") { Content = new StringContent(Body()) };
        request.Headers.Add("Inference-Header-Content-Length", headerValue);
        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinarySizeThatDisagreesWithTheShape_Is400()
    {
        var json = "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 3, 32, 32], \"parameters\": {\"binary_data_size\": 100}}]}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/cnn/infer") { Content = new ByteArrayContent([.. Encoding.UTF8.GetBytes(json), .. new byte[100]]) };
        request.Headers.Add("Inference-Header-Content-Length", Encoding.UTF8.GetByteCount(json).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("binary_data_size: shape [1, 3, 32, 32] of FP32 needs 12288 bytes; got 100.", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedBody_Is413_DeclaredOrChunked()
    {
        var big = new string(' ', 300_000) + Body();
        var declared = await Http.PostAsync("/v2/models/cnn/infer", new StringContent(big), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Contains("the limit is 200000", await declared.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // No Content-Length: the limit is enforced while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/cnn/infer") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Infer(TestModel.Input(1, 6))).Status);
    }

    [Fact]
    public async Task Metrics_CountRequestsByOutcome_InPrometheusText()
    {
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await _server.Infer(TestModel.Input(1, (ulong)(200 + i)))).Status);
        await Http.PostAsync("/v2/models/cnn/infer", new StringContent("{"), TestContext.Current.CancellationToken);
        var text = await Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("nv_inference_request_success{model=\"cnn\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("nv_inference_request_failure{model=\"cnn\",reason=\"INVALID\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("nv_inference_count{model=\"cnn\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("cudagenre_inference_batch_size_count{model=\"cnn\"}", text, StringComparison.Ordinal);
        Assert.Contains("cudagenre_inference_request_duration_seconds_bucket{model=\"cnn\",le=", text, StringComparison.Ordinal);
        Assert.Contains("cudagenre_inference_queue_duration_seconds_count{model=\"cnn\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("nv_inference_pending_request_count{model=\"cnn\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("cudagenre_model_ready{model=\"cnn\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_GcGauges_AreTheGcsLastCollection()
    {
        // The server runs in this process: its gauges must read what GC.GetGCMemoryInfo reads here.
        GC.Collect();
        var before = GC.GetGCMemoryInfo();
        var text = await Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var after = GC.GetGCMemoryInfo();
        double Value(string name)
        {
            var line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        var heap = (long)Value("dotnet_gc_heap_size_bytes");
        var committed = (long)Value("dotnet_gc_committed_bytes");
        Assert.True(heap > 0 && committed >= heap, $"heap {heap}, committed {committed}");
        _ = Value("dotnet_gc_fragmented_bytes");
        _ = Value("dotnet_gc_pause_time_percent");
        // Other tests allocate meanwhile: when no collection ran during the scrape, the figures are exactly the GC's.
        if (before.Index == after.Index)
            Assert.Equal((after.HeapSizeBytes, after.TotalCommittedBytes), (heap, committed));
    }
}
