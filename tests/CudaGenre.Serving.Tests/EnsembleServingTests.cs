using System.Net;
using System.Text.Json.Nodes;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using SessionOptions = CudaGenre.Engine.SessionOptions;

namespace CudaGenre.Serving.Tests;

/// <summary>
/// An ensemble manifest served as a model: members that share one input are served (classify as the offline ensemble
/// session classifies); members of different inputs are refused at start with the reason, as the queue batches tensors
/// of one shape.
/// </summary>
public sealed class EnsembleServingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-serving-ensemble-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Manifest(string name, params (int Height, ulong Seed, double Weight)[] members)
    {
        foreach (var (height, seed, _) in members)
        {
            var spec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = height, InputWidth = 32, CnnWidths = [8, 16] };
            RandomWeights.WriteModel(Path.Combine(_folder, $"m{height}-{seed}.safetensors"), spec, seed);
        }
        var path = Path.Combine(_folder, name);
        EnsembleManifest.Write(path, [.. members.Select(m => ($"m{m.Height}-{m.Seed}.safetensors", m.Weight))]);
        return path;
    }

    [Fact]
    public async Task AnEnsembleOfOneInput_IsServed_AsTheOfflineEnsembleClassifies()
    {
        var manifest = Manifest("same.ensemble.json", (32, 1, 1.0), (32, 2, 2.0));
        await using var server = await RunningServer.Start(configure: o => o.Models.Add(new ModelRegistration("ens", manifest)
        {
            Session = new SessionOptions { Backend = Backend.Cpu, Threads = 1 },
        }));
        var png = ClassifyTests.RandomPng(45, 30, 77);
        var response = await server.Http.PostAsync("/v2/models/ens/classify?top=3", new ByteArrayContent(png), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var offline = InferenceSession.Open(manifest, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var expected = offline.Classify(ImageFile.Decode(png, "reference"));
        var result = JsonNode.Parse(text)!;
        Assert.Equal(expected.Label, (string)result["genre"]!);
        Assert.Equal(expected.Top(1)[0].Probability, (float)result["top"]![0]!["probability"]!, 4);
        var metadata = JsonNode.Parse(await server.Http.GetStringAsync("/v2/models/ens", TestContext.Current.CancellationToken))!;
        Assert.StartsWith("ensemble of 2", (string)metadata["parameters"]!["architecture"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEnsembleOfDifferentInputs_IsRefusedAtStart_SayingWhy()
    {
        var manifest = Manifest("mixed.ensemble.json", (32, 1, 1.0), (24, 3, 1.0));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.Start(configure: o => o.Models.Add(new ModelRegistration("mixed", manifest)
        {
            Session = new SessionOptions { Backend = Backend.Cpu, Threads = 1 },
        })));
        Assert.Contains("takes a different input per member; serve batches tensors of one shape", e.Message, StringComparison.Ordinal);
    }
}
