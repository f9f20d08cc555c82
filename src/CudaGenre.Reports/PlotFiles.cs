using CudaGenre.Core;
using SkiaSharp;

namespace CudaGenre.Reports;

/// <summary>File and font handling shared by the plots.</summary>
internal static class PlotFiles
{
    // ScottPlot's own "sans" detection can land on a serif face (it does on Debian with DejaVu), so ask
    // Skia for common sans-serif families by name and keep ScottPlot's default only if none is installed.
    private static readonly string[] SansCandidates =
        ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI", "Open Sans"];

    /// <summary>Name of an installed sans-serif font family for plot text.</summary>
    public static string SansFont { get; } = FindSansFont();

    /// <summary>Writes rendered PNG bytes through <see cref="AtomicFile"/>: folder created, never half-written.</summary>
    public static void WritePng(string path, byte[] png) => AtomicFile.Write(path, png);

    private static string FindSansFont()
    {
        foreach (var name in SansCandidates)
        {
            using var typeface = SKFontManager.Default.MatchFamily(name);
            if (typeface is not null && string.Equals(typeface.FamilyName, name, StringComparison.OrdinalIgnoreCase))
                return name;
        }
        return ScottPlot.Fonts.Sans;
    }
}
