using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CudaGenre.Core;
using CudaGenre.Core.Audio;
using CudaGenre.Core.Imaging;
using CudaGenre.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Serving;

/// <summary>The Open Inference Protocol over HTTP/REST (KServe v2), with the binary-tensor extension, and <c>/classify</c>.</summary>
internal static partial class HttpEndpoints
{
    /// <summary>The binary-tensor extension's header: the length of the JSON part at the start of the body.</summary>
    public const string HeaderLength = "Inference-Header-Content-Length";

    /// <summary>A client's deadline, in microseconds: a request not started by then gets 504.</summary>
    public const string TimeoutHeader = "Inference-Timeout-Us";

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 16 };

    // Responses are JSON for programs, never embedded in HTML: names like "3×32×32" and "'cnn'" stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/health/live", (ModelRepository repo) => Results.StatusCode(repo.Stopping ? 400 : 200));
        app.MapGet("/v2/health/ready", (ModelRepository repo) => Results.StatusCode(repo.Ready ? 200 : 400));
        app.MapGet("/v2", ServerMetadata);
        app.MapGet("/v2/models/{name}", (HttpContext ctx, ModelRepository repo, string name) => ModelMetadata(ctx, repo, name, null));
        app.MapGet("/v2/models/{name}/versions/{version}", ModelMetadata);
        app.MapGet("/v2/models/{name}/ready", (HttpContext ctx, ModelRepository repo, string name) => ModelReady(ctx, repo, name, null));
        app.MapGet("/v2/models/{name}/versions/{version}/ready", ModelReady);
        app.MapPost("/v2/models/{name}/infer", (HttpContext ctx, ModelRepository repo, string name) => Infer(ctx, repo, name, null));
        app.MapPost("/v2/models/{name}/versions/{version}/infer", Infer);
        app.MapPost("/v2/models/{name}/classify", Classify);
    }

    private static async Task ServerMetadata(HttpContext ctx)
    {
        await WriteJson(ctx, 200, w =>
        {
            w.WriteString("name", "cudagenre");
            w.WriteString("version", typeof(HttpEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0");
            w.WriteStartArray("extensions");
            foreach (var e in OipContract.Extensions)
                w.WriteStringValue(e);
            w.WriteEndArray();
        });
    }

    private static async Task ModelMetadata(HttpContext ctx, ModelRepository repo, string name, string? version)
    {
        if (await Find(ctx, repo, name, version) is not { } m)
            return;
        var spec = m.Session.InputSpec;
        await WriteJson(ctx, 200, w =>
        {
            w.WriteString("name", m.Name);
            w.WriteStartArray("versions");
            w.WriteStringValue(OipContract.Version);
            w.WriteEndArray();
            w.WriteString("platform", OipContract.Platform);
            w.WriteStartArray("inputs");
            WriteTensorMetadata(w, OipContract.InputName, [-1, spec.InputChannels, spec.InputHeight, spec.InputWidth]);
            w.WriteEndArray();
            w.WriteStartArray("outputs");
            foreach (var output in OipContract.OutputNames)
                WriteTensorMetadata(w, output, [-1, spec.ClassCount]);
            w.WriteEndArray();
            // Not in the spec's required fields: what a client needs to read the outputs and size its requests.
            w.WriteStartObject("parameters");
            w.WriteString("architecture", m.Session.Describe());
            w.WriteString("backend", m.Session.Backend.ToString());
            w.WriteString("precision", m.Session.Precision.ToString());
            w.WriteNumber("max_batch_size", m.Queue.Options.MaxBatchSize);
            w.WriteString("class_names", string.Join(",", m.Session.ClassNames));
            w.WriteEndObject();
        });
    }

    private static void WriteTensorMetadata(Utf8JsonWriter w, string name, long[] shape)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("datatype", OipContract.Fp32);
        w.WriteStartArray("shape");
        foreach (var d in shape)
            w.WriteNumberValue(d);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static async Task ModelReady(HttpContext ctx, ModelRepository repo, string name, string? version)
    {
        if (await Find(ctx, repo, name, version) is not { } m)
            return;
        ctx.Response.StatusCode = m.Ready && !repo.Stopping ? 200 : 400;
    }

    /// <summary>The model named in the URL, or null after writing 404.</summary>
    private static async Task<ServedModel?> Find(HttpContext ctx, ModelRepository repo, string name, string? version)
    {
        if (!repo.TryGet(name, out var m))
        {
            await WriteError(ctx, 404, $"model '{name}' is not served here; the models are: {repo.Names}.");
            return null;
        }
        if (version is not null && version != OipContract.Version)
        {
            await WriteError(ctx, 404, $"model '{name}' has only version {OipContract.Version}; got version '{version}'.");
            return null;
        }
        return m;
    }

    private static Task Infer(HttpContext ctx, ModelRepository repo, string name, string? version) => Guard(ctx, repo, name, version, "rest", async m =>
    {
        var body = await ReadBody(ctx, repo.Options.MaxRequestBodyBytes);
        var request = ParseInfer(m.Contract, ctx.Request.Headers.TryGetValue(HeaderLength, out var lengthText) ? lengthText.ToString() : null, body);
        var timeout = OipContract.Earliest(request.Timeout, HeaderTimeout(ctx));
        var result = await m.Queue.InferAsync(request.Inputs, request.Items, timeout, ctx.RequestAborted);
        await WriteInferResponse(ctx, m, request, result);
        return result;
    });

    private static TimeSpan? HeaderTimeout(HttpContext ctx)
    {
        if (!ctx.Request.Headers.TryGetValue(TimeoutHeader, out var text))
            return null;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var us)
            ? OipContract.Timeout(us, TimeoutHeader)
            : throw new InvalidRequestException($"{TimeoutHeader}: expected a whole number of microseconds; got '{text}'.");
    }

    /// <summary>An inference request, checked against the model.</summary>
    internal sealed record InferRequest(string? Id, float[] Inputs, int Items, TimeSpan? Timeout, List<(string Name, bool Binary)> Outputs);

    /// <summary>
    /// An infer request's body, JSON alone or (with the binary-tensor extension's <see cref="HeaderLength"/>, given as
    /// <paramref name="headerLength"/>) JSON then raw tensor bytes, checked against <paramref name="m"/>. A pure
    /// function of its arguments (the fuzz targets call it); anything wrong is an <see cref="InvalidRequestException"/>.
    /// </summary>
    internal static InferRequest ParseInfer(TensorContract m, string? headerLength, byte[] body)
    {
        var jsonLength = body.Length;
        if (headerLength is not null && (!int.TryParse(headerLength, NumberStyles.None, CultureInfo.InvariantCulture, out jsonLength) || jsonLength > body.Length))
            throw new InvalidRequestException($"{HeaderLength}: expected the byte length of the JSON part, 0 to {body.Length} (the body's length); got '{RequestLog.Clean(headerLength)}'.");
        // JsonDocument leaves strings' UTF-8 unchecked until they are read, and then throws InvalidOperationException
        // (found by the oip-json fuzz target): check it once, here, so that every later read is safe.
        if (!System.Text.Unicode.Utf8.IsValid(body.AsSpan(0, jsonLength)))
            throw new InvalidRequestException("the JSON part of the body is not valid UTF-8.");
        try
        {
            return ParseInfer(m, body.AsMemory(0, jsonLength), body.AsMemory(jsonLength));
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"the body is not valid JSON: {e.Message}");
        }
    }

    private static InferRequest ParseInfer(TensorContract m, ReadOnlyMemory<byte> json, ReadOnlyMemory<byte> binary)
    {
        using var doc = JsonDocument.Parse(json, JsonOptions);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidRequestException($"the request must be a JSON object; got {root.ValueKind}.");
        string? id = null;
        if (root.TryGetProperty("id", out var idElement))
            id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : throw new InvalidRequestException($"id: expected a string; got {idElement.ValueKind}.");

        TimeSpan? timeout = null;
        var binaryOutput = false;
        if (root.TryGetProperty("parameters", out var parameters))
        {
            Expect(parameters, JsonValueKind.Object, "parameters");
            if (parameters.TryGetProperty("timeout", out var t))
                timeout = OipContract.Timeout(t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var us) ? us : throw new InvalidRequestException($"parameters.timeout: expected a whole number of microseconds; got {t.GetRawText()}."), "parameters.timeout");
            if (parameters.TryGetProperty("binary_data_output", out var b))
                binaryOutput = Bool(b, "parameters.binary_data_output");
        }

        if (!root.TryGetProperty("inputs", out var inputs))
            throw new InvalidRequestException($"inputs: missing; model '{m.Model}' takes one input, '{OipContract.InputName}'.");
        Expect(inputs, JsonValueKind.Array, "inputs");
        if (inputs.GetArrayLength() != 1)
            throw new InvalidRequestException($"inputs: model '{m.Model}' takes exactly one input, '{OipContract.InputName}'; got {inputs.GetArrayLength()}.");
        var input = inputs[0];
        Expect(input, JsonValueKind.Object, "inputs[0]");
        var shape = new List<long>();
        if (!input.TryGetProperty("shape", out var shapeElement))
            throw new InvalidRequestException("inputs[0].shape: missing.");
        Expect(shapeElement, JsonValueKind.Array, "inputs[0].shape");
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (shape.Count == 8)
                throw new InvalidRequestException("inputs[0].shape: expected 4 dimensions; got more than 8.");
            shape.Add(d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) ? v : throw new InvalidRequestException($"inputs[0].shape[{shape.Count}]: expected an integer; got {d.GetRawText()}."));
        }
        var items = OipContract.CheckInput(m, "inputs[0]", String(input, "name", "inputs[0]"), String(input, "datatype", "inputs[0]"), shape);
        var count = items * m.InputLength;
        var values = new float[count];
        long? binarySize = null;
        if (input.TryGetProperty("parameters", out var inputParameters))
        {
            Expect(inputParameters, JsonValueKind.Object, "inputs[0].parameters");
            if (inputParameters.TryGetProperty("binary_data_size", out var size))
                binarySize = size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var s) ? s : throw new InvalidRequestException($"inputs[0].parameters.binary_data_size: expected an integer; got {size.GetRawText()}.");
        }
        if (binarySize is { } bytes)
        {
            if (bytes != (long)count * sizeof(float))
                throw new InvalidRequestException($"inputs[0].parameters.binary_data_size: shape [{string.Join(", ", shape)}] of FP32 needs {(long)count * sizeof(float)} bytes; got {bytes}.");
            if (binary.Length != bytes)
                throw new InvalidRequestException($"the binary part of the body holds {binary.Length} bytes; inputs[0].parameters.binary_data_size says {bytes}.");
            MemoryMarshal.Cast<byte, float>(binary.Span).CopyTo(values); // the extension's tensors are little-endian, as this machine
            var bad = values.AsSpan().IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
            if (bad >= 0)
                throw new InvalidRequestException($"inputs[0]: element {bad} is {values[bad]}; every value must be finite.");
        }
        else
        {
            if (binary.Length != 0)
                throw new InvalidRequestException($"the body has {binary.Length} bytes after the JSON part but no input has parameters.binary_data_size.");
            if (!input.TryGetProperty("data", out var data))
                throw new InvalidRequestException("inputs[0].data: missing (or give parameters.binary_data_size and the bytes after the JSON).");
            var filled = 0;
            Flatten(data, values, ref filled, "inputs[0].data", 0);
            if (filled != count)
                throw new InvalidRequestException($"inputs[0].data: shape [{string.Join(", ", shape)}] needs {count} numbers; got {filled}.");
        }

        var outputs = new List<(string, bool)>();
        if (root.TryGetProperty("outputs", out var requested))
        {
            Expect(requested, JsonValueKind.Array, "outputs");
            var i = 0;
            foreach (var o in requested.EnumerateArray())
            {
                var field = $"outputs[{i++}]";
                Expect(o, JsonValueKind.Object, field);
                var outputName = String(o, "name", field);
                OipContract.CheckOutput(m, field, outputName);
                var binaryData = binaryOutput;
                if (o.TryGetProperty("parameters", out var op))
                {
                    Expect(op, JsonValueKind.Object, $"{field}.parameters");
                    if (op.TryGetProperty("binary_data", out var bd))
                        binaryData = Bool(bd, $"{field}.parameters.binary_data");
                }
                if (outputs.Exists(x => x.Item1 == outputName))
                    throw new InvalidRequestException($"{field}.name: '{outputName}' is requested twice.");
                outputs.Add((outputName!, binaryData));
            }
        }
        if (outputs.Count == 0)
            outputs.AddRange(OipContract.OutputNames.Select(n => (n, binaryOutput)));
        return new InferRequest(id, values, items, timeout, outputs);
    }

    /// <summary>Copies the numbers of a flat or nested JSON array, row-major, into <paramref name="values"/>.</summary>
    private static void Flatten(JsonElement e, float[] values, ref int filled, string field, int depth)
    {
        if (e.ValueKind != JsonValueKind.Array)
            throw new InvalidRequestException($"{field}: expected an array of numbers; got {e.ValueKind}.");
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind == JsonValueKind.Array && depth < 4)
            {
                Flatten(x, values, ref filled, field, depth + 1);
                continue;
            }
            if (filled == values.Length)
                throw new InvalidRequestException($"{field}: more numbers than the shape's {values.Length}.");
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetSingle(out var v) || !float.IsFinite(v))
                throw new InvalidRequestException($"{field}: element {filled} must be a finite FP32 number; got {Truncate(x.GetRawText())}.");
            values[filled++] = v;
        }
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static void Expect(JsonElement e, JsonValueKind kind, string field)
    {
        if (e.ValueKind != kind)
            throw new InvalidRequestException($"{field}: expected a JSON {kind.ToString().ToLowerInvariant()}; got {e.ValueKind.ToString().ToLowerInvariant()}.");
    }

    private static string String(JsonElement o, string property, string field)
    {
        if (!o.TryGetProperty(property, out var e))
            throw new InvalidRequestException($"{field}.{property}: missing.");
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidRequestException($"{field}.{property}: expected a string; got {Truncate(e.GetRawText())}.");
    }

    private static bool Bool(JsonElement e, string field) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new InvalidRequestException($"{field}: expected true or false; got {Truncate(e.GetRawText())}."),
    };

    private static async Task WriteInferResponse(HttpContext ctx, ServedModel m, InferRequest request, InferenceResult result)
    {
        var classes = m.Session.ClassCount;
        var tensors = request.Outputs.Select(o => (o.Name, o.Binary, Data: o.Name == OipContract.LogitsName ? result.Outputs : OipContract.Probabilities(m, result.Outputs, result.Items))).ToList();
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("model_name", m.Name);
            w.WriteString("model_version", OipContract.Version);
            if (request.Id is not null)
                w.WriteString("id", request.Id);
            w.WriteStartObject("parameters");
            w.WriteNumber("batch_size", result.BatchSize);
            w.WriteNumber("queue_us", (long)result.QueueTime.TotalMicroseconds);
            w.WriteNumber("compute_us", (long)result.ComputeTime.TotalMicroseconds);
            w.WriteEndObject();
            w.WriteStartArray("outputs");
            foreach (var (name, binary, data) in tensors)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("datatype", OipContract.Fp32);
                w.WriteStartArray("shape");
                w.WriteNumberValue(result.Items);
                w.WriteNumberValue(classes);
                w.WriteEndArray();
                if (binary)
                {
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", data.Length * sizeof(float));
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteStartArray("data");
                    foreach (var v in data)
                        w.WriteNumberValue(v);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        ctx.Response.StatusCode = 200;
        if (tensors.Exists(t => t.Binary))
        {
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.Headers[HeaderLength] = buffer.WrittenCount.ToString(CultureInfo.InvariantCulture);
            await ctx.Response.Body.WriteAsync(buffer.WrittenMemory);
            foreach (var t in tensors.Where(t => t.Binary))
                await ctx.Response.Body.WriteAsync(MemoryMarshal.AsBytes(t.Data.AsSpan()).ToArray());
        }
        else
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(buffer.WrittenMemory);
        }
    }

    private static Task Classify(HttpContext ctx, ModelRepository repo, string name) => Guard(ctx, repo, name, null, "classify", async m =>
    {
        var started = Stopwatch.GetTimestamp();
        var top = 3;
        if (ctx.Request.Query.TryGetValue("top", out var topText) && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > m.Session.ClassCount))
            throw new InvalidRequestException($"top: expected 1 to {m.Session.ClassCount}; got '{topText}'.");
        var withSpectrogram = ctx.Request.Query.TryGetValue("spectrogram", out var s) && s == "true";
        var body = await ReadBody(ctx, repo.Options.MaxRequestBodyBytes);
        var (image, kind) = Decode(body, repo.Options.Limits);
        var inputs = m.Preprocessor.Process(image);
        var decoded = Stopwatch.GetElapsedTime(started);
        var result = await m.Queue.InferAsync(inputs, 1, HeaderTimeout(ctx), ctx.RequestAborted);
        var classification = Classification.FromLogits(m.Session.ClassNames, result.Outputs);
        var total = Stopwatch.GetElapsedTime(started);
        await WriteJson(ctx, 200, w =>
        {
            w.WriteString("model_name", m.Name);
            w.WriteString("input", kind);
            w.WriteString("genre", classification.Label);
            w.WriteStartArray("top");
            foreach (var (label, probability) in classification.Top(top))
            {
                w.WriteStartObject();
                w.WriteString("genre", label);
                w.WriteNumber("probability", probability);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("timing_ms");
            w.WriteNumber("decode", Math.Round(decoded.TotalMilliseconds, 3));
            w.WriteNumber("queue", Math.Round(result.QueueTime.TotalMilliseconds, 3));
            w.WriteNumber("compute", Math.Round(result.ComputeTime.TotalMilliseconds, 3));
            w.WriteNumber("total", Math.Round(total.TotalMilliseconds, 3));
            w.WriteEndObject();
            w.WriteNumber("batch_size", result.BatchSize);
            w.WriteStartObject("image");
            w.WriteNumber("width", image.Width);
            w.WriteNumber("height", image.Height);
            if (withSpectrogram)
                w.WriteBase64String("png", ImageFile.EncodePng(image, "the spectrogram"));
            w.WriteEndObject();
        });
        return result;
    });

    /// <summary>A spectrogram image or an audio clip made into one, told apart by their first bytes as the CLI does (<see cref="FileSignature"/>).</summary>
    private static (RgbImage Image, string Kind) Decode(byte[] body, InputLimits limits)
    {
        if (body.Length == 0)
            throw new InvalidRequestException($"the body is empty; send a spectrogram image ({FileSignature.Images}) or an audio clip ({FileSignature.BuiltInAudio}).");
        var isAudio = FileSignature.IsAudio(FileSignature.Detect(body.AsSpan(0, Math.Min(body.Length, FileSignature.HeadLength)), wholeFile: body.Length <= FileSignature.HeadLength));
        try
        {
            if (isAudio)
            {
                using var stream = new MemoryStream(body, writable: false);
                var clip = AudioFile.Read(stream, "the uploaded audio", limits);
                return (AudioFrontEnd.ToImage(clip, limits: limits, name: "the uploaded audio"), "audio");
            }
            return (ImageFile.Decode(body, "the uploaded image", limits), "image");
        }
        catch (DataFileException e)
        {
            throw new InvalidRequestException(e.Message);
        }
    }

    /// <summary>Reads the body, refusing one over <paramref name="limit"/> bytes before or while reading it.</summary>
    private static async Task<byte[]> ReadBody(HttpContext ctx, long limit)
    {
        if (ctx.Request.ContentLength is long declared && declared > limit)
            throw new PayloadTooLargeException($"the body is {declared} bytes; the limit is {limit} (MaxRequestBodyBytes).");
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
        var buffer = new MemoryStream(ctx.Request.ContentLength is long n ? (int)n : 4096);
        var chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit)
                    throw new PayloadTooLargeException($"the body is over the limit of {limit} bytes (MaxRequestBodyBytes).");
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            throw new PayloadTooLargeException($"the body is over the limit of {limit} bytes (MaxRequestBodyBytes).");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    private sealed class PayloadTooLargeException(string message) : Exception(message);

    /// <summary>
    /// Finds the model, checks it can take requests, runs <paramref name="body"/>, turns each failure into its status
    /// and the spec's error body, and logs the request's line (<see cref="RequestLog"/>) whatever the outcome.
    /// </summary>
    private static async Task Guard(HttpContext ctx, ModelRepository repo, string name, string? version, string api, Func<ServedModel, Task<InferenceResult>> body)
    {
        var started = Stopwatch.GetTimestamp();
        if (await Find(ctx, repo, name, version) is not { } m)
        {
            repo.Requests.Failed(api, RequestLog.Clean(name), Status(ctx), RequestLog.NotFound, started);
            return;
        }
        var outcome = await Run(ctx, repo, m, body);
        if (outcome is { } result)
        {
            repo.Metrics.EndToEnd(m.Name, Stopwatch.GetElapsedTime(started));
            repo.Requests.Succeeded(api, m.Name, Status(ctx), result, started);
        }
        else
        {
            repo.Requests.Failed(api, m.Name, Status(ctx), FailureOutcome(ctx.Response.StatusCode), started);
        }
    }

    private static string Status(HttpContext ctx) => ctx.Response.StatusCode.ToString(CultureInfo.InvariantCulture);

    /// <summary>The log's outcome for a failed request's status: the <see cref="ServingMetrics.Reasons"/> it was counted under.</summary>
    private static string FailureOutcome(int status) => status switch
    {
        400 or 413 => ServingMetrics.Reasons.Invalid,
        404 => RequestLog.NotFound,
        429 => ServingMetrics.Reasons.Rejected,
        499 => ServingMetrics.Reasons.Canceled,
        503 => ServingMetrics.Reasons.Unavailable,
        504 => ServingMetrics.Reasons.Timeout,
        _ => ServingMetrics.Reasons.Backend,
    };

    /// <summary>Runs the request; its result, or null once the failure's status and body are written.</summary>
    private static async Task<InferenceResult?> Run(HttpContext ctx, ModelRepository repo, ServedModel m, Func<ServedModel, Task<InferenceResult>> body)
    {
        if (repo.Stopping || !m.Ready)
        {
            repo.Metrics.Failed(m.Name, ServingMetrics.Reasons.Unavailable);
            await WriteError(ctx, 503, repo.Stopping ? "the server is shutting down." : $"model '{m.Name}' is not ready yet (warming up).");
            return null;
        }
        try
        {
            return await body(m);
        }
        catch (Exception e) when (e is InvalidRequestException or JsonException or PayloadTooLargeException or ArgumentException)
        {
            repo.Metrics.Failed(m.Name, ServingMetrics.Reasons.Invalid);
            var message = e is JsonException j ? $"the body is not valid JSON: {j.Message}" : e.Message;
            await WriteError(ctx, e is PayloadTooLargeException ? 413 : 400, message);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel could not read the body (e.g. it ended early): the client's fault, not the server's.
            repo.Metrics.Failed(m.Name, ServingMetrics.Reasons.Invalid);
            await WriteError(ctx, e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400, $"the request body could not be read: {e.Message}");
        }
        catch (QueueFullException e)
        {
            ctx.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await WriteError(ctx, 429, e.Message);
        }
        catch (DeadlineExceededException e)
        {
            await WriteError(ctx, 504, e.Message);
        }
        catch (QueueStoppedException e)
        {
            await WriteError(ctx, 503, e.Message);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            ctx.Response.StatusCode = 499; // the client went away: no one to answer (nginx's code, for the logs)
        }
        catch (BatchFailedException e)
        {
            await WriteError(ctx, 500, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            repo.Metrics.Failed(m.Name, ServingMetrics.Reasons.Backend);
            var log = ctx.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("CudaGenre.Serving");
            if (log is not null)
                LogUnexpected(log, m.Name, e);
            await WriteError(ctx, 500, $"internal error ({e.GetType().Name}); the server log has the details.");
        }
        return null;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "unexpected failure serving model {Model}")]
    private static partial void LogUnexpected(ILogger log, string model, Exception e);

    /// <summary>The spec's error body: <c>{"error": "…"}</c>.</summary>
    internal static Task WriteError(HttpContext ctx, int status, string message)
    {
        if (ctx.Response.HasStarted)
            return Task.CompletedTask;
        return WriteJson(ctx, status, w => w.WriteString("error", message));
    }

    private static async Task WriteJson(HttpContext ctx, int status, Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
