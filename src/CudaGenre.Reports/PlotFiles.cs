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

    /// <summary>Creates the folder that <paramref name="path"/> will be written into, so callers can name a fresh run folder.</summary>
    public static void CreateFolderFor(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
    }

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
