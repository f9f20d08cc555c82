using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CudaGenre.Serving.Grpc;
using Grpc.Core;
using Grpc.Net.Client;

namespace CudaGenre.Serving.Tests;

/// <summary>
/// `cudagenre serve` as a separate process, REST and gRPC, for the binary named by CUDAGENRE_SERVE_BINARY: the
/// NativeAOT build in tools/package-check.sh, where trimming could remove what gRPC, protobuf or JSON need.
/// </summary>
public sealed class ServeBinaryTests
{
    public const string BinaryVariable = "CUDAGENRE_SERVE_BINARY";

    [Fact]
    public async Task ServeBinary_AnswersRestAndGrpc_AndDrainsOnSigterm()
    {
        var binary = Environment.GetEnvironmentVariable(BinaryVariable);
        Assert.SkipWhen(string.IsNullOrEmpty(binary), $"{BinaryVariable} is not set; tools/package-check.sh sets it to its NativeAOT cudagenre.");
        Assert.True(File.Exists(binary), $"{BinaryVariable}={binary}: no such file");
        var ct = TestContext.Current.CancellationToken;
        var (port, grpcPort) = (FreePort(), FreePort());
        var start = new ProcessStartInfo(binary!)
        {
            ArgumentList = { "serve", "--model", $"cnn={TestModel.Path},backend=cpu", "--threads", "1", "--port", $"{port}", "--grpc-port", $"{grpcPort}", "--max-batch-size", "4", "--max-queue-delay-us", "1000" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var output = new StringBuilder();
        using var server = Process.Start(start)!;
        server.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        string Output() { lock (output) return output.ToString(); }
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                Assert.False(server.HasExited, $"the server exited ({(server.HasExited ? server.ExitCode : 0)}) before it was ready:\n{Output()}");
                Assert.True(DateTime.UtcNow < deadline, $"the server was not ready within 60 s:\n{Output()}");
                try
                {
                    if ((await http.GetAsync("/v2/health/ready", ct)).StatusCode == HttpStatusCode.OK)
                        break;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(100, ct);
            }

            // REST: JSON tensors in and out, checked against the offline session; and a 400 with its message.
            var inputs = TestModel.Input(2, 1200);
            using (var response = await http.PostAsJsonAsync("/v2/models/cnn/infer", RunningServer.InferBody(inputs, "aot"), ct))
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
                TestModel.AssertClose(TestModel.Expected(inputs), RunningServer.Output(JsonNode.Parse(text)!, "logits"));
            }
            using (var bad = await http.PostAsync("/v2/models/cnn/infer", new StringContent("{\"inputs\": 3}", Encoding.UTF8, "application/json"), ct))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                Assert.Contains("inputs: expected a JSON array", await bad.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            }
            Assert.Contains("nv_inference_request_success{model=\"cnn\"}", await http.GetStringAsync("/metrics", ct), StringComparison.Ordinal);

            // gRPC: metadata, an inference checked against the offline session, and an error status with its message.
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            Assert.True((await client.ServerReadyAsync(new ServerReadyRequest(), cancellationToken: ct)).Ready);
            Assert.Equal([-1L, 3, 32, 32], (await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "cnn" }, cancellationToken: ct)).Inputs.Single().Shape);
            var request = new ModelInferRequest { ModelName = "cnn", Id = "aot" };
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 2, 3, 32, 32 }, Contents = new InferTensorContents { Fp32Contents = { inputs } } });
            request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits" });
            var reply = await client.ModelInferAsync(request, cancellationToken: ct);
            Assert.Equal("aot", reply.Id);
            TestModel.AssertClose(TestModel.Expected(inputs), [.. reply.Outputs.Single().Contents.Fp32Contents]);
            request.Inputs[0].Shape[2] = 16;
            var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(request, cancellationToken: ct));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains("inputs[0].shape", error.Status.Detail, StringComparison.Ordinal);

            // SIGTERM: drains and exits 0, and the request log has every inference's line.
            using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync(ct);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await server.WaitForExitAsync(exit.Token);
            Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}:\n{Output()}");
            var log = Output();
            foreach (var line in new[] { "api=rest model=cnn status=200 outcome=SUCCESS batch=2", "api=rest model=cnn status=400 outcome=INVALID", "api=grpc model=cnn status=OK outcome=SUCCESS batch=2", "api=grpc model=cnn status=InvalidArgument outcome=INVALID" })
                Assert.True(log.Contains(line, StringComparison.Ordinal), $"no '{line}' in the server's output:\n{log}");
        }
        finally
        {
            if (!server.HasExited)
                server.Kill();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
