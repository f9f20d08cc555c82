using System.CommandLine;
using System.Globalization;
using System.Net;
using CudaGenre.Engine;
using CudaGenre.Serving;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Cli;

/// <summary><c>cudagenre serve</c>: the inference server (Open Inference Protocol over REST and gRPC, dynamic batching, metrics, a web page).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--model", "-m")
        {
            Description = "A model to serve, NAME=PATH, optionally followed by ,backend=cpu|cuda|auto and ,precision=fp32|tf32|fp16|bf16|int8|int16 for this model alone. Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var folder = new Option<string?>("--model-folder") { Description = "Serve every *.safetensors file in this folder, each named after its file." };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0: every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "REST, /metrics and the web page (HTTP/1.1).", DefaultValueFactory = _ => 8000 };
        var grpcPort = new Option<int>("--grpc-port") { Description = "gRPC (cleartext HTTP/2); 0 or less: no gRPC.", DefaultValueFactory = _ => 8001 };
        var maxBatch = new Option<int>("--max-batch-size") { Description = "Most items per forward pass; 1 turns batching off.", DefaultValueFactory = _ => 8 };
        var delay = new Option<int>("--max-queue-delay-us") { Description = "How long the oldest request may wait for others to join its batch, µs.", DefaultValueFactory = _ => 2000 };
        var preferred = new Option<string?>("--preferred-batch-sizes") { Description = "Comma-separated batch sizes to prefer, e.g. 4,8." };
        var queueSize = new Option<int>("--max-queue-size") { Description = "Most items waiting per model; more are refused at once with 429.", DefaultValueFactory = _ => 64 };
        var instances = new Option<int>("--instances") { Description = "Batches of one model that may run at the same time.", DefaultValueFactory = _ => 1 };
        var timeout = new Option<int>("--timeout-ms") { Description = "Deadline of a request that brings none (header Inference-Timeout-Us or parameter timeout): not started by then, it gets 504.", DefaultValueFactory = _ => 30_000 };
        var drain = new Option<int>("--drain-timeout-s") { Description = "On SIGTERM or Ctrl+C: how long to finish the requests already accepted.", DefaultValueFactory = _ => 30 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body; larger gets 413.", DefaultValueFactory = _ => 64L << 20 };
        var quiet = new Option<bool>("--no-request-log") { Description = "Do not log one line per request." };
        var engine = new EngineOptions();
        var command = new Command("serve", """
            Serve models over the Open Inference Protocol (KServe v2): REST on --port (/v2/health/live, /v2/health/ready,
            /v2, /v2/models/NAME, /v2/models/NAME/ready, POST /v2/models/NAME/infer with JSON or binary tensors, and POST
            /v2/models/NAME/classify with a PNG or WAV), gRPC GRPCInferenceService on --grpc-port, Prometheus metrics at
            /metrics, and a web page at /. Requests to a model are batched dynamically; a full queue answers 429.
            Ready once every model has warmed up; SIGTERM stops taking requests and finishes those accepted.
            """)
        {
            models, folder, host, port, grpcPort, maxBatch, delay, preferred, queueSize, instances, timeout, drain, maxBody, quiet,
            engine.Backend, engine.Precision, engine.Threads, engine.AllowNonFiniteWeights, engine.MaxImagePixels, engine.MaxAudioSeconds,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var session = new SessionOptions
            {
                Backend = EngineOptions.ParseBackend(parse.GetValue(engine.Backend)!),
                Precision = EngineOptions.ParsePrecision(parse.GetValue(engine.Precision)!),
                Threads = parse.GetValue(engine.Threads),
                AllowNonFiniteWeights = parse.GetValue(engine.AllowNonFiniteWeights),
            };
            var batching = new BatchingOptions
            {
                MaxBatchSize = parse.GetValue(maxBatch),
                MaxQueueDelay = TimeSpan.FromMicroseconds(parse.GetValue(delay)),
                PreferredBatchSizes = ParseSizes(parse.GetValue(preferred)),
                MaxQueueSize = parse.GetValue(queueSize),
                Instances = parse.GetValue(instances),
                DefaultTimeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)),
            }.Validate();
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
                throw new ArgumentException($"--host: '{parse.GetValue(host)}' is not an IP address.");
            var grpc = parse.GetValue(grpcPort);
            var endpoints = new ServerEndpoints(address, parse.GetValue(port), grpc > 0 ? grpc : null);
            var app = CudaGenreServing.CreateServer(endpoints, o =>
            {
                foreach (var spec in parse.GetValue(models) ?? [])
                    o.Models.Add(ParseModel(spec, session));
                if (parse.GetValue(folder) is { } f)
                    o.AddFolder(f, session);
                o.Batching = batching;
                o.DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain));
                o.MaxRequestBodyBytes = parse.GetValue(maxBody);
                // Only the decoding limits are options here (--max-batch-size is the batcher's).
                o.Limits = new Core.InputLimits { MaxImagePixels = parse.GetValue(engine.MaxImagePixels), MaxAudioSeconds = parse.GetValue(engine.MaxAudioSeconds) }.Validate();
            }, logging =>
            {
                if (parse.GetValue(quiet))
                    logging.AddFilter(ModelRepository.RequestLogCategory, LogLevel.Warning);
            });
            Console.WriteLine($"cudagenre serve: REST on http://{address}:{endpoints.HttpPort}{(endpoints.GrpcPort is { } g ? $", gRPC on {address}:{g}" : "")}; Ctrl+C or SIGTERM to stop.");
            app.Run();
            return 0;
        }));
        return command;
    }

    /// <summary>NAME=PATH[,backend=…][,precision=…].</summary>
    internal static ModelRegistration ParseModel(string text, SessionOptions defaults)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
            throw new ArgumentException($"--model: expected NAME=PATH; got '{text}'.");
        var name = text[..eq];
        var rest = text[(eq + 1)..];
        var session = defaults;
        // Options come at the end: ",backend=…" and ",precision=…", so that a path may hold other commas.
        while (true)
        {
            var comma = rest.LastIndexOf(',');
            if (comma < 0)
                break;
            var option = rest[(comma + 1)..];
            if (option.StartsWith("backend=", StringComparison.Ordinal))
                session = session with { Backend = EngineOptions.ParseBackend(option["backend=".Length..]) };
            else if (option.StartsWith("precision=", StringComparison.Ordinal))
                session = session with { Precision = EngineOptions.ParsePrecision(option["precision=".Length..]) };
            else
                break;
            rest = rest[..comma];
        }
        return new ModelRegistration(name, rest) { Session = session };
    }

    private static int[] ParseSizes(string? text) => string.IsNullOrWhiteSpace(text) ? [] :
        [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--preferred-batch-sizes: '{s}' is not a whole number."))];
}
