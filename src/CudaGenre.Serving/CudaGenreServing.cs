using System.Text.Json.Nodes;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace CudaGenre.Serving;

/// <summary>
/// Embedding the server in an ASP.NET Core app:
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// builder.Services.AddCudaGenre(o =&gt; o.Models.Add(new ModelRegistration("cnn", "model.safetensors")));
/// var app = builder.Build();
/// app.MapCudaGenre();   // /v2/… (REST), GRPCInferenceService, /metrics, and the page at /
/// app.Run();
/// </code>
/// </summary>
public static class CudaGenreServing
{
    /// <summary>Registers the models (opened and warmed up when the host starts), their queues, metrics and gRPC.</summary>
    public static IServiceCollection AddCudaGenre(this IServiceCollection services, Action<ServingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ServingOptions();
        configure(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(_ =>
        {
            var metrics = new ServingMetrics();
            DotNetStats.Register(metrics.Registry); // process memory, CPU and GC beside the serving metrics
            ServingMetrics.RegisterGcInfo(metrics.Registry);
            return metrics;
        });
        services.AddSingleton(sp => new ModelRepository(options, sp.GetRequiredService<ServingMetrics>(), sp.GetService<ILoggerFactory>(), sp.GetService<IHostApplicationLifetime>()));
        services.AddHostedService(sp => sp.GetRequiredService<ModelRepository>());
        services.AddGrpc(o => o.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, options.MaxRequestBodyBytes));
        return services;
    }

    /// <summary>Maps the REST endpoints (<c>/v2/…</c>), the gRPC service, <c>/metrics</c>, and the web page at <c>/</c>.</summary>
    public static IEndpointRouteBuilder MapCudaGenre(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        HttpEndpoints.Map(endpoints);
        endpoints.MapPost("/v2/repository/index", RepositoryIndex);
        endpoints.MapGrpcService<GrpcInferenceService>();
        endpoints.MapMetrics("/metrics", endpoints.ServiceProvider.GetRequiredService<ServingMetrics>().Registry);
        WebPage.Map(endpoints);
        return endpoints;
    }

    /// <summary>The model repository extension's index (as Triton serves it): every model with its state.</summary>
    private static IResult RepositoryIndex(ModelRepository repo)
    {
        // Built as nodes, not serialized from objects, so that NativeAOT needs no reflection here.
        var index = new JsonArray();
        foreach (var m in repo.Models)
            index.Add((JsonNode)new JsonObject { ["name"] = m.Name, ["version"] = OipContract.Version, ["state"] = m.Ready ? "READY" : "LOADING" });
        return Results.Text(index.ToJsonString(), "application/json");
    }

    /// <summary>
    /// A stand-alone server (what <c>cudagenre serve</c> runs): Kestrel with REST on <see cref="ServerEndpoints.HttpPort"/>
    /// (HTTP/1.1) and gRPC on <see cref="ServerEndpoints.GrpcPort"/> (cleartext HTTP/2, which cannot share a port with
    /// HTTP/1.1 without TLS), the models of <paramref name="configure"/>, and a host that drains for
    /// <see cref="ServingOptions.DrainTimeout"/> on SIGTERM or Ctrl+C. Port 0 lets the system choose.
    /// </summary>
    public static WebApplication CreateServer(ServerEndpoints endpoints, Action<ServingOptions> configure, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(CudaGenreServing).Assembly.GetName().Name });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(endpoints.Host, endpoints.HttpPort, o => o.Protocols = HttpProtocols.Http1);
            if (endpoints.GrpcPort is { } grpc)
                k.Listen(endpoints.Host, grpc, o => o.Protocols = HttpProtocols.Http2);
        });
        ServingOptions? captured = null;
        builder.Services.AddCudaGenre(o =>
        {
            configure(o);
            captured = o;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = captured!.DrainTimeout + TimeSpan.FromSeconds(5));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        var app = builder.Build();
        app.MapCudaGenre();
        return app;
    }
}

/// <summary>Where a stand-alone server listens.</summary>
/// <param name="Host">The address (e.g. <see cref="System.Net.IPAddress.Loopback"/>, or <see cref="System.Net.IPAddress.Any"/> for every interface).</param>
/// <param name="HttpPort">REST, <c>/metrics</c> and the page (HTTP/1.1); 0: any free port.</param>
/// <param name="GrpcPort">gRPC (HTTP/2 without TLS); null: no gRPC listener; 0: any free port.</param>
public sealed record ServerEndpoints(System.Net.IPAddress Host, int HttpPort, int? GrpcPort);

/// <summary>The page at <c>/</c>: static files embedded in this assembly.</summary>
internal static class WebPage
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var assembly = typeof(WebPage).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            var path = resource["wwwroot".Length..];
            var bytes = Read(assembly, resource);
            var type = Types.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            endpoints.MapGet(path, () => Results.Bytes(bytes, type));
            if (path == "/index.html")
                endpoints.MapGet("/", () => Results.Bytes(bytes, type));
        }
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
