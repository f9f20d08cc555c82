using System.Text.RegularExpressions;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>
/// A small reading of CUDA C++ source, independent of the product code: comments removed, kernel entry
/// points listed, including those that a function-like macro stamps out (<c>#define ENTRY(NAME, T) extern "C"
/// __global__ void NAME(…)</c> followed by <c>ENTRY(relu_f32, float)</c> lines).
/// </summary>
public static partial class CudaSource
{
    /// <summary>The text without // and /* */ comments (string literals in kernels are not expected).</summary>
    public static string WithoutComments(string source) => Comments().Replace(source, m => m.Value.StartsWith("//", StringComparison.Ordinal) ? "" : " ");

    /// <summary>The names of the <c>extern "C" __global__</c> functions: written out first, then those from macro invocations, in order.</summary>
    public static IReadOnlyList<string> EntryPoints(string source) => Read(source).EntryPoints;

    /// <summary>How many <c>__global__</c> functions the source defines once its macros are expanded.</summary>
    public static int GlobalFunctionCount(string source) => Read(source).GlobalCount;

    /// <summary>
    /// Each entry point with the other arguments of the macro invocation that stamped it out (e.g. "widen_f16" with
    /// ["cg_half"]), or null for one written out directly.
    /// </summary>
    public static IReadOnlyList<(string Name, string[]? MacroArguments)> EntryPointsWithArguments(string source) => Read(source).WithArguments;

    private static (List<string> EntryPoints, int GlobalCount, List<(string, string[]?)> WithArguments) Read(string source)
    {
        var text = WithoutComments(source).Replace("\\\r\n", " ", StringComparison.Ordinal).Replace("\\\n", " ", StringComparison.Ordinal);
        var macros = new List<(string Name, string[] Parameters, string Body)>();
        foreach (Match define in Define().Matches(text))
        {
            var parameters = define.Groups["params"].Value.Split(',', StringSplitOptions.TrimEntries);
            macros.Add((define.Groups["name"].Value, parameters, define.Groups["body"].Value));
        }
        var code = Define().Replace(text, "");

        var entries = EntryPoint().Matches(code).Select(m => m.Groups["name"].Value).ToList();
        var withArguments = entries.Select(e => (e, (string[]?)null)).ToList();
        var globals = GlobalKeyword().Count(code);
        foreach (var (name, parameters, body) in macros)
        {
            var stamped = EntryPoint().Matches(body).Select(m => m.Groups["name"].Value).ToList();
            var bodyGlobals = GlobalKeyword().Count(body);
            if (bodyGlobals == 0)
                continue;
            foreach (var arguments in Invocations(code, name))
            {
                globals += bodyGlobals;
                foreach (var entry in stamped)
                {
                    var index = Array.IndexOf(parameters, entry);
                    entries.Add(index >= 0 ? arguments[index] : entry);
                    withArguments.Add((entries[^1], arguments.Where((_, i) => i != index).ToArray()));
                }
            }
        }
        return (entries, globals, withArguments);
    }

    /// <summary>The argument lists of every call-like use of <paramref name="macro"/> (top-level commas split arguments).</summary>
    private static IEnumerable<string[]> Invocations(string code, string macro)
    {
        foreach (Match use in new Regex($@"\b{Regex.Escape(macro)}\s*\(").Matches(code))
        {
            var arguments = new List<string>();
            var depth = 0;
            var start = use.Index + use.Length;
            for (var i = start; i < code.Length; i++)
            {
                var c = code[i];
                if (c == '(')
                {
                    depth++;
                }
                else if (c == ',' && depth == 0)
                {
                    arguments.Add(code[start..i].Trim());
                    start = i + 1;
                }
                else if (c == ')' && depth-- == 0)
                {
                    arguments.Add(code[start..i].Trim());
                    break;
                }
            }
            yield return arguments.ToArray();
        }
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"^[ \t]*#[ \t]*define[ \t]+(?<name>\w+)\((?<params>[^)]*)\)(?<body>[^\n]*)", RegexOptions.Multiline)]
    private static partial Regex Define();

    // Launch bounds may stand before or after "void", written out or as a macro parameter in capitals (BOUNDS).
    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?void\s+(?:(?:__launch_bounds__\s*\([^)]*\)|[A-Z][A-Z0-9_]*)\s+)?(?<name>[A-Za-z_]\w*)\s*\(")]
    private static partial Regex EntryPoint();

    [GeneratedRegex(@"\b__global__\b")]
    private static partial Regex GlobalKeyword();
}
