using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Models;

// A bounded loopback load generator for `cudagenre serve` (REST, binary tensors).
//   cudagenre-loadgen write-model PATH [--height H --width W]
//   cudagenre-loadgen closed --url U --model M --concurrency 1,2,4,8 --seconds S
//   cudagenre-loadgen open   --url U --model M --rates 20,40,80 --seconds S [--max-outstanding N]
//   cudagenre-loadgen soak   --url U --model M --rate R --seconds S --pid P   (RSS sampled from /proc/P/status)
// Every response is checked against the logits of its own input, fetched one by one before the run: a response
// that belongs to another request counts as "mixed".
var options = Options.Parse(args);
switch (options.Command)
{
    case "write-model":
    {
        var spec = ModelSpec.Default(CudaGenre.Core.Models.Architecture.Cnn) with { InputHeight = options.Int("height", 144), InputWidth = options.Int("width", 216) };
        RandomWeights.WriteModel(options.Positional, spec, seed: 7);
        Console.WriteLine($"wrote {options.Positional}: {spec.Describe()}");
        return 0;
    }
    case "closed" or "open" or "soak":
        break;
    default:
        Console.Error.WriteLine("usage: cudagenre-loadgen write-model PATH | closed | open | soak (see Program.cs)");
        return 2;
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(30) }) { BaseAddress = new Uri(options.String("url", "http://127.0.0.1:8000")), Timeout = TimeSpan.FromSeconds(60) };
var model = options.String("model", "cnn");
var client = await Client.Create(http, model, inputs: 32);
Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} model {model}, input {client.InputLength} floats, load average {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"# idle latency (one request at a time, 50 requests): p50 {await client.Idle(50):F2} ms");
var seconds = options.Double("seconds", 10);
switch (options.Command)
{
    case "closed":
        Console.WriteLine(Stats.Header("concurrency"));
        foreach (var c in options.Ints("concurrency", [1, 2, 4, 8, 16]))
            Console.WriteLine((await client.Closed(c, seconds)).Row(c.ToString(CultureInfo.InvariantCulture)));
        break;
    case "open":
        Console.WriteLine(Stats.Header("rate/s"));
        foreach (var r in options.Ints("rates", [10, 20, 40]))
            Console.WriteLine((await client.Open(r, seconds, options.Int("max-outstanding", 2048))).Row(r.ToString(CultureInfo.InvariantCulture)));
        break;
    case "soak":
    {
        // Every --sample-seconds: the server's RSS split into anonymous (heaps, JIT code) and file-backed (mapped
        // assemblies and libraries) pages, and from its /metrics the GC heap after the last collection, what the GC
        // has committed, the collections of each generation, and the thread count.
        var pid = options.Int("pid", 0);
        var rate = options.Int("rate", 20);
        var every = options.Double("sample-seconds", 5);
        using var cts = new CancellationTokenSource();
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                samples.Add(await Sample.Take(http, pid, clock.Elapsed.TotalSeconds));
                try { await Task.Delay(TimeSpan.FromSeconds(every), cts.Token); } catch (OperationCanceledException) { }
            }
        });
        var stats = await client.Open(rate, seconds, options.Int("max-outstanding", 2048));
        await cts.CancelAsync();
        await sampler;
        samples.Add(await Sample.Take(http, pid, clock.Elapsed.TotalSeconds));
        Console.WriteLine(Stats.Header("rate/s"));
        Console.WriteLine(stats.Row(rate.ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine("# the server over time: RSS (kB: all, anonymous, file-backed); GC heap after the last GC and GC committed (kB); collections gen0/1/2; threads");
        Console.WriteLine(Sample.Header);
        foreach (var s in samples)
            Console.WriteLine(s.Row());
        var steady = samples.Where(s => s.T >= seconds * 0.2).ToList();
        if (steady.Count > 1)
        {
            Console.WriteLine($"# after the first 20%: RSS min {steady.Min(s => s.RssKb)} kB, max {steady.Max(s => s.RssKb)} kB, last {steady[^1].RssKb} kB; " +
                $"GC heap min {steady.Min(s => s.HeapKb)} kB, max {steady.Max(s => s.HeapKb)} kB, last {steady[^1].HeapKb} kB");
            // Growth over the second half against the first half of the steady part: a leak keeps a positive slope.
            var half = steady.Count / 2;
            double Slope(IEnumerable<Sample> part, Func<Sample, long> kb) { var l = part.ToList(); return l.Count < 2 ? 0 : (kb(l[^1]) - kb(l[0])) / (l[^1].T - l[0].T) * 60; }
            Console.WriteLine($"# growth, kB per minute, first half / second half of that: RSS {Slope(steady.Take(half + 1), s => s.RssKb):F0} / {Slope(steady.Skip(half), s => s.RssKb):F0}, " +
                $"anonymous {Slope(steady.Take(half + 1), s => s.AnonKb):F0} / {Slope(steady.Skip(half), s => s.AnonKb):F0}, GC committed {Slope(steady.Take(half + 1), s => s.CommittedKb):F0} / {Slope(steady.Skip(half), s => s.CommittedKb):F0}");
        }
        break;
    }
}
return 0;

/// <summary>One look at the server's memory: /proc/PID/status and its /metrics.</summary>
internal sealed record Sample(double T, long RssKb, long AnonKb, long FileKb, long HeapKb, long CommittedKb, long Gen0, long Gen1, long Gen2, long Threads)
{
    public const string Header = "      t s   rss kB  anon kB  file kB  heap kB  commit kB   gen0  gen1  gen2 threads";

    public string Row() => $"{T,7:F0} {RssKb,8} {AnonKb,8} {FileKb,8} {HeapKb,8} {CommittedKb,10} {Gen0,6} {Gen1,5} {Gen2,5} {Threads,7}";

    public static async Task<Sample> Take(HttpClient http, int pid, double t)
    {
        var status = new Dictionary<string, long>();
        if (pid > 0)
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                var parts = line.Split([':', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0].StartsWith("Rss", StringComparison.Ordinal) || parts.Length >= 2 && parts[0] == "VmRSS")
                    status[parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }
        var metrics = new Dictionary<string, double>();
        try
        {
            foreach (var line in (await http.GetStringAsync("/metrics")).Split('\n'))
            {
                var space = line.LastIndexOf(' ');
                if (line.Length > 0 && line[0] != '#' && space > 0 && double.TryParse(line.AsSpan(space + 1), CultureInfo.InvariantCulture, out var v))
                    metrics[line[..space]] = v;
            }
        }
        catch (HttpRequestException)
        {
        }
        long Kb(string name) => (long)(metrics.GetValueOrDefault(name) / 1024);
        long N(string name) => (long)metrics.GetValueOrDefault(name);
        return new Sample(t, status.GetValueOrDefault("VmRSS"), status.GetValueOrDefault("RssAnon"), status.GetValueOrDefault("RssFile") + status.GetValueOrDefault("RssShmem"),
            Kb("dotnet_gc_heap_size_bytes"), Kb("dotnet_gc_committed_bytes"),
            N("dotnet_collection_count_total{generation=\"0\"}"), N("dotnet_collection_count_total{generation=\"1\"}"), N("dotnet_collection_count_total{generation=\"2\"}"), N("process_num_threads"));
    }
}

/// <summary>Sends binary-tensor requests and checks each answer against its own input's logits.</summary>
internal sealed class Client
{
    private readonly HttpClient _http;
    private readonly string _path;
    private readonly byte[][] _bodies;
    private readonly int[] _headerLengths;
    private readonly float[][] _expected;

    private Client(HttpClient http, string model, int inputLength, byte[][] bodies, int[] headerLengths)
    {
        _http = http;
        _path = $"/v2/models/{model}/infer";
        InputLength = inputLength;
        _bodies = bodies;
        _headerLengths = headerLengths;
        _expected = new float[bodies.Length][];
    }

    public int InputLength { get; }

    public static async Task<Client> Create(HttpClient http, string model, int inputs)
    {
        var metadata = JsonNode.Parse(await http.GetStringAsync($"/v2/models/{model}"))!;
        var shape = metadata["inputs"]![0]!["shape"]!.AsArray().Select(d => (int)d!).ToArray();
        var length = shape[1] * shape[2] * shape[3];
        var random = new SeededRandom(99);
        var bodies = new byte[inputs][];
        var lengths = new int[inputs];
        for (var i = 0; i < inputs; i++)
        {
            var values = new float[length];
            for (var j = 0; j < length; j++)
                values[j] = (float)(random.NextDouble() * 4 - 2);
            var header = Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,{shape[1]},{shape[2]},{shape[3]}],\"parameters\":{{\"binary_data_size\":{length * 4}}}}}],\"outputs\":[{{\"name\":\"logits\",\"parameters\":{{\"binary_data\":true}}}}]}}");
            bodies[i] = [.. header, .. MemoryMarshal.AsBytes(values.AsSpan()).ToArray()];
            lengths[i] = header.Length;
        }
        var client = new Client(http, model, length, bodies, lengths);
        for (var i = 0; i < inputs; i++)
            client._expected[i] = (await client.Send(i)).Logits ?? throw new InvalidOperationException($"the reference request {i} failed");
        return client;
    }

    private async Task<(HttpStatusCode Status, float[]? Logits, int Batch)> Send(int which)
    {
        var content = new ByteArrayContent(_bodies[which]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, _path) { Content = content };
        request.Headers.Add("Inference-Header-Content-Length", _headerLengths[which].ToString(CultureInfo.InvariantCulture));
        using var response = await _http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            return (response.StatusCode, null, 0);
        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        var header = JsonNode.Parse(bytes.AsSpan(0, jsonLength))!;
        return (response.StatusCode, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(jsonLength)).ToArray(), (int)header["parameters"]!["batch_size"]!);
    }

    private async Task One(Stats stats, int which)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            var (status, logits, batch) = await Send(which);
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (status == HttpStatusCode.OK)
                stats.Ok(ms, batch, Same(_expected[which], logits!));
            else if (status == HttpStatusCode.TooManyRequests)
                stats.Refused();
            else
                stats.Error($"HTTP {(int)status}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            stats.Error(e.GetType().Name);
        }
    }

    private static bool Same(float[] expected, float[] actual)
    {
        if (expected.Length != actual.Length)
            return false;
        for (var i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i] - actual[i]) > 1e-4f * (1 + Math.Abs(expected[i])))
                return false;
        }
        return true;
    }

    public async Task<double> Idle(int count)
    {
        var stats = new Stats();
        for (var i = 0; i < count; i++)
            await One(stats, i % _bodies.Length);
        return stats.Percentile(0.5);
    }

    public async Task<Stats> Closed(int concurrency, double seconds)
    {
        var stats = new Stats();
        var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var n = w;
            while (Stopwatch.GetTimestamp() < end)
                await One(stats, n++ % _bodies.Length);
        }));
        stats.Elapsed = clock.Elapsed;
        return stats;
    }

    /// <summary>Poisson arrivals at <paramref name="rate"/> per second for <paramref name="seconds"/>; at most <paramref name="maxOutstanding"/> in flight (beyond: counted as not sent).</summary>
    public async Task<Stats> Open(double rate, double seconds, int maxOutstanding)
    {
        var stats = new Stats();
        var random = new Random(1234);
        var running = new List<Task>();
        var outstanding = 0;
        var clock = Stopwatch.StartNew();
        var next = 0.0;
        var i = 0;
        while (next < seconds)
        {
            var wait = next - clock.Elapsed.TotalSeconds;
            if (wait > 0.0005)
                await Task.Delay(TimeSpan.FromSeconds(wait));
            if (Volatile.Read(ref outstanding) >= maxOutstanding)
            {
                stats.NotSent();
            }
            else
            {
                Interlocked.Increment(ref outstanding);
                var which = i % _bodies.Length;
                running.Add(Task.Run(async () =>
                {
                    await One(stats, which);
                    Interlocked.Decrement(ref outstanding);
                }));
            }
            i++;
            next += -Math.Log(1 - random.NextDouble()) / rate;
        }
        await Task.WhenAll(running);
        stats.Elapsed = clock.Elapsed;
        stats.Offered = i;
        return stats;
    }
}

internal sealed class Stats
{
    private readonly Lock _lock = new();
    private readonly List<double> _latencies = [];
    private readonly Dictionary<string, int> _errors = [];
    private long _batchItems;
    private int _refused;
    private int _mixed;
    private int _notSent;

    public TimeSpan Elapsed { get; set; }
    public int Offered { get; set; }

    public void Ok(double ms, int batch, bool same)
    {
        lock (_lock)
        {
            _latencies.Add(ms);
            _batchItems += batch;
            if (!same)
                _mixed++;
        }
    }

    public void Refused() { lock (_lock) _refused++; }
    public void NotSent() { lock (_lock) _notSent++; }
    public void Error(string kind) { lock (_lock) _errors[kind] = _errors.GetValueOrDefault(kind) + 1; }

    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_latencies.Count == 0)
                return double.NaN;
            var sorted = _latencies.Order().ToList();
            return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        }
    }

    public static string Header(string first) => $"{first,12} {"ok",7} {"ok/s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"batch",6} {"429",6} {"errors",7} {"mixed",6} {"unsent",7}";

    public string Row(string first)
    {
        lock (_lock)
        {
            var ok = _latencies.Count;
            var errors = _errors.Values.Sum();
            var detail = _errors.Count > 0 ? "  " + string.Join(", ", _errors.Select(e => $"{e.Key}×{e.Value}")) : "";
            return FormattableString.Invariant($"{first,12} {ok,7} {ok / Elapsed.TotalSeconds,8:F1} {Percentile(0.5),8:F2} {Percentile(0.95),8:F2} {Percentile(0.99),8:F2} {(ok > 0 ? (double)_batchItems / ok : 0),6:F2} {_refused,6} {errors,7} {_mixed,6} {_notSent,7}{detail}");
        }
    }
}

internal sealed class Options
{
    private readonly Dictionary<string, string> _values = [];

    public string Command { get; private set; } = "";
    public string Positional { get; private set; } = "";

    public static Options Parse(string[] args)
    {
        var o = new Options { Command = args.Length > 0 ? args[0] : "" };
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                o._values[args[i][2..]] = args[++i];
            else
                o.Positional = args[i];
        }
        return o;
    }

    public string String(string name, string fallback) => _values.GetValueOrDefault(name, fallback);
    public int Int(string name, int fallback) => _values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => _values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public int[] Ints(string name, int[] fallback) => _values.TryGetValue(name, out var v) ? [.. v.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : fallback;
}
