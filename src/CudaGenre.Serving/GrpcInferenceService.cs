using System.Diagnostics;
using System.Runtime.InteropServices;
using CudaGenre.Serving.Grpc;
using Google.Protobuf;
using Grpc.Core;

namespace CudaGenre.Serving;

/// <summary>The Open Inference Protocol's <c>GRPCInferenceService</c>, on the same models and queues as the REST endpoints.</summary>
internal sealed class GrpcInferenceService(ModelRepository repo) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = !repo.Stopping });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = repo.Ready });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        var m = Find(request.Name, request.Version);
        return Task.FromResult(new ModelReadyResponse { Ready = m.Ready && !repo.Stopping });
    }

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = "cudagenre", Version = typeof(GrpcInferenceService).Assembly.GetName().Version?.ToString(3) ?? "0" };
        response.Extensions.AddRange(OipContract.Extensions);
        return Task.FromResult(response);
    }

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var m = Find(request.Name, request.Version);
        var spec = m.Session.InputSpec;
        var response = new ModelMetadataResponse { Name = m.Name, Platform = OipContract.Platform };
        response.Versions.Add(OipContract.Version);
        response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = OipContract.InputName, Datatype = OipContract.Fp32, Shape = { -1, spec.InputChannels, spec.InputHeight, spec.InputWidth } });
        foreach (var name in OipContract.OutputNames)
            response.Outputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = name, Datatype = OipContract.Fp32, Shape = { -1, spec.ClassCount } });
        return Task.FromResult(response);
    }

    /// <summary>Runs the call and logs its line (<see cref="RequestLog"/>) whatever the outcome.</summary>
    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (response, result, model) = await Infer(request, context, started);
            repo.Requests.Succeeded(Api, model, nameof(StatusCode.OK), result, started);
            return response;
        }
        catch (RpcException e)
        {
            var model = repo.TryGet(request.ModelName, out var m) ? m.Name : RequestLog.Clean(request.ModelName);
            repo.Requests.Failed(Api, model, e.StatusCode.ToString(), Outcome(e.StatusCode), started);
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // gRPC answers UNKNOWN for an exception it was not given as a status.
            repo.Requests.Failed(Api, RequestLog.Clean(request.ModelName), nameof(StatusCode.Unknown), ServingMetrics.Reasons.Backend, started);
            throw;
        }
    }

    private const string Api = "grpc";

    /// <summary>The log's outcome for a failed call's status: the <see cref="ServingMetrics.Reasons"/> it was counted under.</summary>
    private static string Outcome(StatusCode status) => status switch
    {
        StatusCode.InvalidArgument => ServingMetrics.Reasons.Invalid,
        StatusCode.NotFound => RequestLog.NotFound,
        StatusCode.ResourceExhausted => ServingMetrics.Reasons.Rejected,
        StatusCode.DeadlineExceeded => ServingMetrics.Reasons.Timeout,
        StatusCode.Cancelled => ServingMetrics.Reasons.Canceled,
        StatusCode.Unavailable => ServingMetrics.Reasons.Unavailable,
        _ => ServingMetrics.Reasons.Backend,
    };

    private async Task<(ModelInferResponse Response, InferenceResult Result, string Model)> Infer(ModelInferRequest request, ServerCallContext context, long started)
    {
        var m = Find(request.ModelName, request.ModelVersion);
        if (repo.Stopping || !m.Ready)
        {
            repo.Metrics.Failed(m.Name, ServingMetrics.Reasons.Unavailable);
            throw new RpcException(new Status(StatusCode.Unavailable, repo.Stopping ? "the server is shutting down." : $"model '{m.Name}' is not ready yet (warming up)."));
        }
        float[] inputs;
        int items;
        TimeSpan? timeout;
        List<(string Name, bool Raw)> outputs;
        try
        {
            (inputs, items, timeout, outputs) = Parse(m, request, context);
        }
        catch (InvalidRequestException e)
        {
            repo.Metrics.Failed(m.Name, ServingMetrics.Reasons.Invalid);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }

        InferenceResult result;
        try
        {
            result = await m.Queue.InferAsync(inputs, items, timeout, context.CancellationToken);
        }
        catch (QueueFullException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message), new Metadata { { "retry-after", Math.Max(1, (int)Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        }
        catch (DeadlineExceededException e)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, e.Message));
        }
        catch (QueueStoppedException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (BatchFailedException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, e.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled before its batch started."));
        }

        var response = new ModelInferResponse { ModelName = m.Name, ModelVersion = OipContract.Version, Id = request.Id };
        response.Parameters["batch_size"] = new InferParameter { Int64Param = result.BatchSize };
        response.Parameters["queue_us"] = new InferParameter { Int64Param = (long)result.QueueTime.TotalMicroseconds };
        response.Parameters["compute_us"] = new InferParameter { Int64Param = (long)result.ComputeTime.TotalMicroseconds };
        var anyRaw = outputs.Exists(o => o.Raw);
        foreach (var (name, _) in outputs)
        {
            var data = name == OipContract.LogitsName ? result.Outputs : OipContract.Probabilities(m, result.Outputs, result.Items);
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = name, Datatype = OipContract.Fp32, Shape = { result.Items, m.Session.ClassCount } };
            // The spec: when raw_output_contents is used, every output goes there, in order.
            if (anyRaw)
                response.RawOutputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())));
            else
                tensor.Contents = new InferTensorContents { Fp32Contents = { data } };
            response.Outputs.Add(tensor);
        }
        repo.Metrics.EndToEnd(m.Name, Stopwatch.GetElapsedTime(started));
        return (response, result, m.Name);
    }

    private static (float[] Inputs, int Items, TimeSpan? Timeout, List<(string, bool)> Outputs) Parse(ServedModel m, ModelInferRequest request, ServerCallContext context)
    {
        if (request.Inputs.Count != 1)
            throw new InvalidRequestException($"inputs: model '{m.Name}' takes exactly one input, '{OipContract.InputName}'; got {request.Inputs.Count}.");
        var input = request.Inputs[0];
        var items = OipContract.CheckInput(m.Contract, "inputs[0]", input.Name, input.Datatype, input.Shape);
        var count = items * m.Session.InputLength;
        float[] values;
        if (request.RawInputContents.Count > 0)
        {
            if (request.RawInputContents.Count != 1)
                throw new InvalidRequestException($"raw_input_contents: one entry per input (1); got {request.RawInputContents.Count}.");
            if (input.Contents is { Fp32Contents.Count: > 0 })
                throw new InvalidRequestException("inputs[0].contents: give the tensor either in contents or in raw_input_contents, not both.");
            var bytes = request.RawInputContents[0].Span;
            if (bytes.Length != (long)count * sizeof(float))
                throw new InvalidRequestException($"raw_input_contents[0]: shape [{string.Join(", ", input.Shape)}] of FP32 needs {(long)count * sizeof(float)} bytes; got {bytes.Length}.");
            values = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }
        else
        {
            var contents = input.Contents?.Fp32Contents;
            if (contents is null || contents.Count != count)
                throw new InvalidRequestException($"inputs[0].contents.fp32_contents: shape [{string.Join(", ", input.Shape)}] needs {count} values; got {contents?.Count ?? 0}.");
            values = [.. contents];
        }
        var bad = values.AsSpan().IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad >= 0)
            throw new InvalidRequestException($"inputs[0]: element {bad} is {values[bad]}; every value must be finite.");

        TimeSpan? timeout = null;
        if (request.Parameters.TryGetValue("timeout", out var t))
            timeout = OipContract.Timeout(t.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.Int64Param ? t.Int64Param : throw new InvalidRequestException("parameters.timeout: expected int64_param, in microseconds."), "parameters.timeout");
        // A gRPC deadline bounds the wait too (the call is cancelled at the deadline in any case).
        if (context.Deadline < DateTime.MaxValue.ToUniversalTime().AddDays(-1))
        {
            var left = context.Deadline - DateTime.UtcNow;
            timeout = OipContract.Earliest(timeout, left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1));
        }

        var raw = request.Parameters.TryGetValue("binary_data_output", out var b) && b.BoolParam;
        var outputs = new List<(string, bool)>();
        for (var i = 0; i < request.Outputs.Count; i++)
        {
            var o = request.Outputs[i];
            OipContract.CheckOutput(m.Contract, $"outputs[{i}]", o.Name);
            if (outputs.Exists(x => x.Item1 == o.Name))
                throw new InvalidRequestException($"outputs[{i}].name: '{o.Name}' is requested twice.");
            outputs.Add((o.Name, raw || (o.Parameters.TryGetValue("binary_data", out var bd) && bd.BoolParam)));
        }
        if (outputs.Count == 0)
            outputs.AddRange(OipContract.OutputNames.Select(n => (n, raw)));
        return (values, items, timeout, outputs);
    }

    private ServedModel Find(string name, string version)
    {
        if (!repo.TryGet(name, out var m))
            throw new RpcException(new Status(StatusCode.NotFound, $"model '{name}' is not served here; the models are: {repo.Names}."));
        if (version.Length > 0 && version != OipContract.Version)
            throw new RpcException(new Status(StatusCode.NotFound, $"model '{name}' has only version {OipContract.Version}; got version '{version}'."));
        return m;
    }
}
