using System.Runtime.InteropServices;
using CudaGenre.Serving.Grpc;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace CudaGenre.Serving.Tests;

/// <summary>GRPCInferenceService through a real Grpc.Net.Client channel (cleartext HTTP/2 on its own port).</summary>
public sealed class GrpcTests
{
    [Fact]
    public async Task RoundTrip_Metadata_Infer_AndErrorCodes()
    {
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(1) });
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "cnn" })).Ready);
        Assert.Equal("cudagenre", (await client.ServerMetadataAsync(new ServerMetadataRequest())).Name);
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "cnn" });
        Assert.Equal([-1L, 3, 32, 32], metadata.Inputs.Single().Shape);
        Assert.Equal(["logits", "probabilities"], metadata.Outputs.Select(o => o.Name));

        // FP32 contents in, contents out.
        var inputs = TestModel.Input(2, 800);
        var request = new ModelInferRequest { ModelName = "cnn", Id = "g1" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 2, 3, 32, 32 }, Contents = new InferTensorContents { Fp32Contents = { inputs } } });
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits" });
        var response = await client.ModelInferAsync(request);
        Assert.Equal(("cnn", "g1"), (response.ModelName, response.Id));
        Assert.Equal([2L, 10], response.Outputs.Single().Shape);
        TestModel.AssertClose(TestModel.Expected(inputs), [.. response.Outputs.Single().Contents.Fp32Contents]);

        // Raw bytes in, raw bytes out.
        var raw = new ModelInferRequest { ModelName = "cnn", Parameters = { ["binary_data_output"] = new InferParameter { BoolParam = true } } };
        raw.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 2, 3, 32, 32 } });
        raw.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(inputs.AsSpan())));
        var rawResponse = await client.ModelInferAsync(raw);
        Assert.Equal(2, rawResponse.RawOutputContents.Count);
        TestModel.AssertClose(TestModel.Expected(inputs), MemoryMarshal.Cast<byte, float>(rawResponse.RawOutputContents[0].Span).ToArray());

        var wrongShape = new ModelInferRequest { ModelName = "cnn" };
        wrongShape.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 3, 16, 16 }, Contents = new InferTensorContents { Fp32Contents = { new float[768] } } });
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(wrongShape));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("inputs[0].shape: expected [n, 3, 32, 32] with 1 ≤ n ≤ 4 (NCHW); got [1, 3, 16, 16].", invalid.Status.Detail, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task FullQueue_IsResourceExhausted()
    {
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 1, MaxQueueDelay = TimeSpan.Zero, MaxQueueSize = 1 }, gated: true);
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        ModelInferRequest Request(ulong seed)
        {
            var r = new ModelInferRequest { ModelName = "cnn" };
            r.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 3, 32, 32 }, Contents = new InferTensorContents { Fp32Contents = { TestModel.Input(1, seed) } } });
            return r;
        }
        var running = client.ModelInferAsync(Request(1)).ResponseAsync;
        await RunningServer.Until(() => server.Gate!.Started == 1, "the first batch to start");
        var queued = client.ModelInferAsync(Request(2)).ResponseAsync;
        await RunningServer.Until(() => server.Repository.Models.Single().Queue.QueuedItems == 1, "the queue to fill");
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Request(3)));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        server.Gate!.Open();
        await running;
        await queued;
    }
}
