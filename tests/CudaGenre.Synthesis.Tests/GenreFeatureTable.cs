using System.Globalization;
using System.Text;
using CudaGenre.Core;

namespace CudaGenre.Synthesis.Tests;

/// <summary>
/// A by-hand check, not part of the normal run (it is explicit: run it with
/// <c>dotnet test -c Release -- --filter-class "*GenreFeatureTable" --explicit only</c>, about 20 s): prints per-genre mean ± std of a
/// few features over 20 clips per genre, and the leave-one-out accuracy of a 5-nearest-neighbour classifier
/// on them, to see that the genres are distinct but overlap (it fails when that accuracy leaves 30–90 %). Also written to
/// <c>$TMPDIR/cudagenre-synth-features.txt</c>.
/// </summary>
public class GenreFeatureTable
{
    private const int ClipsPerGenre = 20;
    private const double Seconds = 10;
    private const int SampleRate = 22050;

    [Fact(Explicit = true)]
    public void PrintFeatureDistributions()
    {
        var rows = new List<(int Genre, double[] Summary, double[] Profile)>();
        var lockObject = new object();
        Parallel.For(0, Genres.Count * ClipsPerGenre, i =>
        {
            var genre = i / ClipsPerGenre;
            var seed = (ulong)(1000 + (i % ClipsPerGenre));
            var clip = GenreSynthesizer.Synthesize(genre, seed, Seconds, SampleRate);
            var summary = Summary(clip.Samples, GenreSynthesizer.Plan(genre, seed, Seconds, SampleRate).TempoBpm);
            var profile = BandProfile(clip.Samples);
            lock (lockObject)
                rows.Add((genre, summary, profile));
        });
        rows.Sort((a, b) => a.Genre.CompareTo(b.Genre));

        string[] names = ["centroid Hz", "<100 Hz share", "HF onsets/s", "onset BPM", "plan BPM", "crest"];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{ClipsPerGenre} clips × {Seconds} s per genre, mean ± std");
        text.Append($"{"genre",-10}");
        foreach (var n in names)
            text.Append(CultureInfo.InvariantCulture, $" | {n,17}");
        text.AppendLine();
        for (var g = 0; g < Genres.Count; g++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Genres.NameOf(g),-10}");
            var of = rows.Where(r => r.Genre == g).Select(r => r.Summary).ToList();
            for (var f = 0; f < names.Length; f++)
            {
                var values = of.Select(v => v[f]).ToArray();
                var mean = values.Average();
                var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
                var format = f == 1 ? "F3" : f is 2 or 5 ? "F2" : "F0";
                text.Append(CultureInfo.InvariantCulture, $" | {mean.ToString(format, CultureInfo.InvariantCulture),8} ± {std.ToString(format, CultureInfo.InvariantCulture),-6}");
            }
            text.AppendLine();
        }
        var summaryAccuracy = LeaveOneOutKnn(rows.Select(r => (r.Genre, r.Summary[..4].Append(r.Summary[5]).ToArray())).ToList(), out _);
        var profileAccuracy = LeaveOneOutKnn(rows.Select(r => (r.Genre, r.Profile.Concat(r.Summary[..4]).Append(r.Summary[5]).ToArray())).ToList(), out var confusion);
        text.AppendLine(CultureInfo.InvariantCulture, $"5-NN leave-one-out accuracy, 5 summary features: {summaryAccuracy:P0}");
        text.AppendLine(CultureInfo.InvariantCulture, $"5-NN leave-one-out accuracy, 24-band spectral profile + summary: {profileAccuracy:P0}");
        text.AppendLine("confusion (rows true, columns predicted):");
        for (var g = 0; g < Genres.Count; g++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Genres.NameOf(g),-10}");
            for (var p = 0; p < Genres.Count; p++)
                text.Append(CultureInfo.InvariantCulture, $" {confusion[g, p],3}");
            text.AppendLine();
        }
        var report = text.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "cudagenre-synth-features.txt"), report);

        // Learnable (far above the 10 % of guessing) but not trivially separable by simple features.
        Assert.InRange(profileAccuracy, 0.3, 0.9);
    }

    private static double[] Summary(float[] samples, double planBpm)
    {
        var flux = AudioFeatures.OnsetEnvelope(samples, SampleRate, 0, 11025);
        var period = AudioFeatures.DominantPeriod(flux, SampleRate, 0.3, 1.2);
        return
        [
            AudioFeatures.SpectralCentroid(samples, SampleRate),
            AudioFeatures.EnergyShareBelow(samples, SampleRate, 100),
            AudioFeatures.HighBandOnsetRate(samples, SampleRate),
            60 / period,
            planBpm,
            AudioFeatures.CrestFactor(samples),
        ];
    }

    /// <summary>Mean level (dB, relative to the loudest band) of 24 log-spaced bands from 40 Hz to 11 kHz.</summary>
    private static double[] BandProfile(float[] samples)
    {
        var spectra = AudioFeatures.PowerSpectrogram(samples, 2048, 1024);
        var binHz = SampleRate / 2048.0;
        const int bands = 24;
        var energy = new double[bands];
        foreach (var p in spectra)
        {
            for (var k = 1; k < p.Length; k++)
            {
                var hz = k * binHz;
                if (hz < 40)
                    continue;
                var band = Math.Min(bands - 1, (int)(bands * Math.Log(hz / 40) / Math.Log(11025 / 40.0)));
                energy[band] += p[k];
            }
        }
        var db = energy.Select(e => 10 * Math.Log10(e + 1e-12)).ToArray();
        var max = db.Max();
        return [.. db.Select(d => d - max)];
    }

    private static double LeaveOneOutKnn(List<(int Genre, double[] Features)> rows, out int[,] confusion)
    {
        var dims = rows[0].Features.Length;
        var mean = new double[dims];
        var std = new double[dims];
        for (var d = 0; d < dims; d++)
        {
            mean[d] = rows.Average(r => r.Features[d]);
            std[d] = Math.Sqrt(rows.Average(r => Math.Pow(r.Features[d] - mean[d], 2))) + 1e-9;
        }
        var z = rows.Select(r => r.Features.Select((v, d) => (v - mean[d]) / std[d]).ToArray()).ToArray();
        confusion = new int[Genres.Count, Genres.Count];
        var correct = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var neighbours = Enumerable.Range(0, rows.Count).Where(j => j != i)
                .OrderBy(j => z[i].Zip(z[j], (a, b) => (a - b) * (a - b)).Sum()).Take(5);
            var predicted = neighbours.GroupBy(j => rows[j].Genre).OrderByDescending(g => g.Count()).First().Key;
            confusion[rows[i].Genre, predicted]++;
            if (predicted == rows[i].Genre)
                correct++;
        }
        return (double)correct / rows.Count;
    }
}
