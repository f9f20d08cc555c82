using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Serving.Tests;

/// <summary>The page at <c>/</c> in real headless Chromium (Debian's <c>chromium</c>): it classifies a known file and shows the engine's top 3.</summary>
public sealed partial class WebPageTests
{
    private static string? FindChromium() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    [Fact]
    public async Task Page_ShowsTheTopThreeGenres_ForAKnownFile()
    {
        var chromium = FindChromium();
        // CI installs chromium and sets CUDAGENRE_REQUIRE_CHROMIUM=1: there, a missing browser is a failure, not a skip.
        if (chromium is null && Environment.GetEnvironmentVariable("CUDAGENRE_REQUIRE_CHROMIUM") == "1")
            Assert.Fail("CUDAGENRE_REQUIRE_CHROMIUM=1 but no chromium, chromium-browser or google-chrome is on PATH.");
        Assert.SkipWhen(chromium is null, "headless Chromium is not installed (Debian: apt-get install chromium); the page test needs a real browser.");
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(1) });
        // Small, so that its data: URL fits in a request line (Kestrel allows 8 KB).
        var png = ClassifyTests.RandomPng(12, 9, 950);
        var expected = TestModel.Session.Classify(ImageFile.Decode(png, "reference")).Top(3);

        // The page's ?demo= fetches a file and classifies it as if it had been dropped: here, a data: URL of the PNG.
        var url = $"{server.Address}?demo={Uri.EscapeDataString("data:image/png;base64," + Convert.ToBase64String(png))}";
        var dom = await DumpDom(chromium!, url);
        Assert.Contains("data-state=\"done\"", dom, StringComparison.Ordinal);
        var shown = GenreRow().Matches(dom).Select(m => (m.Groups[1].Value, float.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(expected.Select(e => e.Label), shown.Select(s => s.Item1));
        for (var i = 0; i < 3; i++)
            Assert.Equal(expected[i].Probability, shown[i].Item2, 4);
        Assert.Contains("src=\"data:image/png;base64,", dom, StringComparison.Ordinal); // the spectrogram the engine saw
        Assert.Matches(@"\d+\.\d ms in all", dom);
    }

    [GeneratedRegex("<li class=\"genre\" data-genre=\"([^\"]+)\" data-probability=\"([^\"]+)\"")]
    private static partial Regex GenreRow();

    private static async Task<string> DumpDom(string chromium, string url)
    {
        var profile = Directory.CreateTempSubdirectory("cudagenre-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", url },
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish in 90 s: {await stderr}");
            }
            var dom = await stdout;
            Assert.True(dom.Contains("<html", StringComparison.Ordinal), $"chromium printed no page (exit {process.ExitCode}): {await stderr}");
            return dom;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
