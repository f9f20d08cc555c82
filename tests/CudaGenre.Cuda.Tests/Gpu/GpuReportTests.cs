using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>The report behind the gpu-check table (no GPU needed), and the environment lines it starts with.</summary>
public class GpuReportTests
{
    [Fact]
    public void ErrorFigures_AreTheLargestDifferences_AndNaNCountsOnlyWhenOneSided()
    {
        float[] expected = [1f, -2f, 0.5f, float.NaN, 4f, 0f, float.NaN];
        float[] actual = [1f, -2.5f, 0.5f + 1e-3f, float.NaN, 4f, -0f, 7f];
        var f = ErrorFigures.Of(expected, actual);
        Assert.Equal(7, f.Count);
        Assert.Equal(0.5, f.MaxAbs, 12);
        Assert.Equal(0.25, f.MaxRel, 12); // 0.5/2 beats 1e-3/0.5
        Assert.Equal(4, f.Differing); // −2.5, 0.501, −0 and the one-sided NaN
        Assert.Equal(1, f.NanMismatches);
        Assert.Equal(1, f.FirstDiffering);

        var same = ErrorFigures.Of(expected, expected);
        Assert.Equal((0, 0.0, 0.0, -1), (same.Differing, same.MaxAbs, same.MaxRel, same.FirstDiffering));
    }

    [Fact]
    public void Lines_AreTabSeparated_WithTabsAndBreaksInsideFieldsReplaced()
    {
        Assert.Equal("kernel\twiden_f32\ta b c\t0\t1.23E-07",
            GpuReport.Line("kernel", ["widen_f32", "a\tb\nc", GpuReport.Number(0), GpuReport.Number(1.234e-7)]));
        using var folder = new TempFolder();
        var path = folder.File("report.tsv");
        GpuReport.AppendTo(path, "call", ["cublasSgemm_v2", "FP32\ttransposed", "ok"]);
        GpuReport.AppendTo(path, "device", ["H100"]);
        Assert.Equal(["call\tcublasSgemm_v2\tFP32 transposed\tok", "device\tH100"], File.ReadAllLines(path));
    }

    [Fact]
    public void Environment_IsRecorded_DeviceAndEveryLibrary()
    {
        var report = CudaEnvironmentReport.Collect();
        Assert.Equal(NativeLibraries.Names, report.Libraries.Select(l => l.Name));
        foreach (var device in report.Devices)
        {
            GpuReport.Add("device", device.Name, $"compute capability {device.ComputeCapability}", $"{device.Multiprocessors} SMs",
                $"{device.TotalMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB", $"CUDA driver {report.DriverVersion}");
        }
        if (report.Devices.Count == 0)
            GpuReport.Add("device", "none", report.DevicesProblem ?? "no device reported");
        foreach (var library in report.Libraries)
        {
            // A library that loaded has a version, or says why not.
            Assert.True(!library.Found || library.Version is not null || library.VersionProblem is not null, library.Name);
            GpuReport.Add("library", library.DisplayName,
                library.Found ? library.Version ?? $"version unknown ({library.VersionProblem})" : "not found",
                library.Found ? library.Path ?? "(path unknown)" : $"tried {string.Join(", ", library.Sonames)}");
        }
        if (Requirements.IsRequired(Requirements.RequireGpuVariable))
        {
            Assert.NotEmpty(report.Devices);
            Assert.All(report.Libraries, l => Assert.True(l.Found, $"{l.DisplayName} was not found"));
        }
    }
}
