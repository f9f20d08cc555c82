using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CudaGenre.Cli;
using CudaGenre.Engine;

namespace CudaGenre.Core.Tests.Cli;

public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("cnn=/models/a.safetensors", "cnn", "/models/a.safetensors", Backend.Auto, Precision.Fp32)]
    [InlineData("x=/odd,folder/m.safetensors,backend=cpu", "x", "/odd,folder/m.safetensors", Backend.Cpu, Precision.Fp32)]
    [InlineData("r=m.safetensors,precision=fp16,backend=cuda", "r", "m.safetensors", Backend.Cuda, Precision.Fp16)]
    public void A_model_option_gives_its_name_path_and_per_model_settings(string text, string name, string path, Backend backend, Precision precision)
    {
        var registration = ServeCommand.ParseModel(text, new SessionOptions());
        Assert.Equal(name, registration.Name);
        Assert.Equal(path, registration.Path);
        Assert.Equal(backend, registration.Session!.Backend);
        Assert.Equal(precision, registration.Session.Precision);
    }

    [Theory]
    [InlineData("no-equals-sign")]
    [InlineData("=path.safetensors")]
    [InlineData("name=")]
    public void A_malformed_model_option_is_refused_naming_it(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ServeCommand.ParseModel(text, new SessionOptions()));
        Assert.Contains("--model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_answers_like_the_engine_and_exits_0_on_sigterm()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var temp = new TempFolder();
        var model = ModelCommandTests.WriteRandomCnn(temp);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "cudagenre.dll"), "serve", "--model", $"cnn={model},backend=cpu", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--grpc-port", "0", "--threads", "1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var server = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var output = server.StandardOutput.ReadToEndAsync(ct);
        var errors = server.StandardError.ReadToEndAsync(ct);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var ready = false;
            for (var i = 0; i < 300 && !ready && !server.HasExited; i++)
            {
                try
                {
                    ready = (await http.GetAsync(new Uri("/v2/health/ready", UriKind.Relative), ct)).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (!ready)
                    await Task.Delay(100, ct);
            }

            Assert.True(ready, $"the server never became ready (exited: {server.HasExited})");

            // One random input, answered as the engine answers it offline.
            var random = new SeededRandom(77);
            var input = Enumerable.Range(0, 3 * 48 * 64).Select(_ => (float)random.Gaussian(0, 1)).ToArray();
            var body = new JsonObject
            {
                ["inputs"] = new JsonArray(new JsonObject
                {
                    ["name"] = "input", ["datatype"] = "FP32", ["shape"] = new JsonArray(1, 3, 48, 64),
                    ["data"] = new JsonArray([.. input.Select(v => (JsonNode)v)]),
                }),
            };
            var response = await http.PostAsJsonAsync(new Uri("/v2/models/cnn/infer", UriKind.Relative), body, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            var logits = json["outputs"]!.AsArray().First(o => (string)o!["name"]! == "logits")!["data"]!.AsArray().Select(v => (float)v!).ToArray();
            using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
            var expected = new float[10];
            session.Run(input, 1, expected);
            Assert.Equal(expected, logits);
        }
        finally
        {
            if (!server.HasExited)
                Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            if (!server.WaitForExit(30_000))
                server.Kill(entireProcessTree: true);
        }

        Assert.True(server.ExitCode == 0, $"exit {server.ExitCode}; stdout: {await output}; stderr: {await errors}");
        Assert.Contains("cudagenre serve: REST on http://127.0.0.1:", await output, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
