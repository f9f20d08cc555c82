using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using SessionOptions = CudaGenre.Engine.SessionOptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Serving.Tests;

/// <summary>A small random-weight CNN (3×32×32 → 10 classes) written once per process, and an offline session on it.</summary>
internal static class TestModel
{
    private static readonly Lazy<string> File = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("cudagenre-serving-").FullName;
        // Shared by every test of the process; removed when it exits.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var path = System.IO.Path.Combine(folder, "cnn.safetensors");
        var spec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = 32, InputWidth = 32, CnnWidths = [8, 16] };
        RandomWeights.WriteModel(path, spec, seed: 11);
        return path;
    });

    private static readonly Lazy<InferenceSession> Offline = new(() => InferenceSession.Open(Path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 }));

    public static string Path => File.Value;

    /// <summary>The independent reference: an offline session run on the one item alone.</summary>
    public static InferenceSession Session => Offline.Value;

    public const int InputLength = 3 * 32 * 32;
    public const int Classes = 10;

    /// <summary>Random inputs (never zeros), distinct per seed.</summary>
    public static float[] Input(int items, ulong seed)
    {
        var random = new SeededRandom(seed);
        var values = new float[items * InputLength];
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    /// <summary>The offline logits of each item alone, concatenated.</summary>
    public static float[] Expected(float[] inputs)
    {
        var items = inputs.Length / InputLength;
        var result = new float[items * Classes];
        for (var i = 0; i < items; i++)
            Session.Run(inputs.AsSpan(i * InputLength, InputLength), 1).CopyTo(result, i * Classes);
        return result;
    }

    /// <summary>Batched and single runs may round differently; a mixed-up response differs by far more.</summary>
    public static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}

/// <summary>A model wrapper whose batches wait at a gate the test opens; it records every batch it ran.</summary>
internal sealed class GatedModel(IBatchModel inner) : IBatchModel
{
    private readonly SemaphoreSlim _gate = new(0);
    private readonly Lock _lock = new();
    private readonly List<int> _batches = [];
    private volatile bool _open;

    public int InputLength => inner.InputLength;
    public int OutputLength => inner.OutputLength;

    /// <summary>Batches started (waiting at the gate or done).</summary>
    public int Started;

    public IReadOnlyList<int> Batches
    {
        get { lock (_lock) return [.. _batches]; }
    }

    public void Open()
    {
        _open = true;
        _gate.Release(1000);
    }

    public void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs)
    {
        Interlocked.Increment(ref Started);
        if (!_open)
            _gate.Wait(TimeSpan.FromSeconds(30));
        lock (_lock)
            _batches.Add(batchSize);
        inner.Run(inputs, batchSize, outputs);
    }
}

/// <summary>A real Kestrel server on a loopback port chosen by the system.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WebApplication app, Uri address, Uri grpcAddress, GatedModel? gate)
    {
        App = app;
        Address = address;
        GrpcAddress = grpcAddress;
        Gate = gate;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }
    public Uri Address { get; }
    public Uri GrpcAddress { get; }
    public GatedModel? Gate { get; }
    public HttpClient Http { get; }
    public ModelRepository Repository => App.Services.GetRequiredService<ModelRepository>();

    public static async Task<RunningServer> Start(BatchingOptions? batching = null, bool gated = false, Action<ServingOptions>? configure = null, Action? beforeWarmUp = null, ILoggerProvider? requestLog = null)
    {
        GatedModel? gate = null;
        var app = CudaGenreServing.CreateServer(new ServerEndpoints(System.Net.IPAddress.Loopback, 0, 0), o =>
        {
            o.Models.Add(new ModelRegistration("cnn", TestModel.Path)
            {
                Session = new SessionOptions { Backend = Backend.Cpu, Threads = 1 },
                Batching = batching,
                Decorate = gated ? m => gate = new GatedModel(m) : null,
                BeforeWarmUp = beforeWarmUp,
            });
            configure?.Invoke(o);
        }, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Warning);
            if (requestLog is not null)
            {
                logging.AddProvider(requestLog);
                logging.AddFilter(ModelRepository.RequestLogCategory, LogLevel.Information);
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        // Kestrel lists the addresses in the order they were configured: REST, then gRPC.
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        var server = new RunningServer(app, new Uri(addresses[0]), new Uri(addresses[1]), gate);
        if (beforeWarmUp is null)
            await server.Repository.WarmUpCompletion;
        return server;
    }

    public static JsonObject InferBody(float[] inputs, string? id = null)
    {
        var items = inputs.Length / TestModel.InputLength;
        var body = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "input",
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(items, 3, 32, 32),
                ["data"] = new JsonArray([.. inputs.Select(v => (JsonNode)v)]),
            }),
        };
        if (id is not null)
            body["id"] = id;
        return body;
    }

    /// <summary>POSTs an inference; returns the status and the parsed body.</summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> Infer(float[] inputs, string? id = null, long? timeoutUs = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/cnn/infer") { Content = JsonContent.Create(InferBody(inputs, id)) };
        if (timeoutUs is { } t)
            request.Headers.Add("Inference-Timeout-Us", t.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await Http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, response);
    }

    public static float[] Floats(JsonNode? array) => [.. array!.AsArray().Select(v => v!.GetValue<float>())];

    public static float[] Output(JsonNode body, string name) => Floats(body["outputs"]!.AsArray().Single(o => (string)o!["name"]! == name)!["data"]);

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited 20 s for {what}");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gate?.Open();
        Http.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
