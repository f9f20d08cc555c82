using System.Text.RegularExpressions;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>A small reading of CUDA C++ source, independent of the product code: comments removed, kernel entry points listed.</summary>
public static partial class CudaSource
{
    /// <summary>The text without // and /* */ comments (string literals in kernels are not expected).</summary>
    public static string WithoutComments(string source) => Comments().Replace(source, m => m.Value.StartsWith("//", StringComparison.Ordinal) ? "" : " ");

    /// <summary>The names of the <c>extern "C" __global__</c> functions, in order.</summary>
    public static IReadOnlyList<string> EntryPoints(string source) =>
        EntryPoint().Matches(WithoutComments(source)).Select(m => m.Groups["name"].Value).ToList();

    /// <summary>How many times <c>__global__</c> appears outside comments.</summary>
    public static int GlobalFunctionCount(string source) => GlobalKeyword().Count(WithoutComments(source));

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?void\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?(?<name>[A-Za-z_]\w*)\s*\(")]
    private static partial Regex EntryPoint();

    [GeneratedRegex(@"\b__global__\b")]
    private static partial Regex GlobalKeyword();
}
