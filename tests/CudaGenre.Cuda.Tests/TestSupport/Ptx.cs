using System.Text.RegularExpressions;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>One <c>.visible .entry</c> of a PTX module, as the PTX checks need it.</summary>
/// <param name="Name">The entry point's name.</param>
/// <param name="Parameters">Each <c>.param</c> in order: its PTX type as written and its size in bytes.</param>
/// <param name="MaxThreads">The product of <c>.maxntid x, y, z</c> (from <c>__launch_bounds__</c>), or null when there is none.</param>
/// <param name="SharedBytes">Static shared memory: the <c>.shared</c> arrays declared in the entry, and those at module scope that it names.</param>
/// <param name="SharedArrays">Those arrays, "name[bytes]".</param>
/// <param name="Fmas">How many <c>fma.*</c> instructions its body has.</param>
public sealed record PtxEntry(string Name, IReadOnlyList<(string Type, int Bytes)> Parameters, int? MaxThreads, long SharedBytes,
    IReadOnlyList<string> SharedArrays, int Fmas);

/// <summary>
/// A small reading of PTX text, independent of the product code: the entry points with their parameter list,
/// launch bounds, static shared memory and FMA count.
/// </summary>
public static partial class Ptx
{
    /// <summary>Every <c>.visible .entry</c>, in order.</summary>
    public static IReadOnlyList<PtxEntry> Entries(string ptx)
    {
        var starts = EntryStart().Matches(ptx);
        var moduleShared = new Dictionary<string, int>(StringComparer.Ordinal);
        var moduleText = starts.Count == 0 ? ptx : ptx[..starts[0].Index];
        foreach (Match shared in Shared().Matches(moduleText))
            moduleShared[shared.Groups["name"].Value] = SizeOf(shared);

        var entries = new List<PtxEntry>();
        for (var i = 0; i < starts.Count; i++)
        {
            var start = starts[i].Index + starts[i].Length;
            var text = ptx[start..(i + 1 < starts.Count ? starts[i + 1].Index : ptx.Length)];
            var close = text.IndexOf(')', StringComparison.Ordinal);
            var open = text.IndexOf('{', StringComparison.Ordinal);
            var parameters = Parameter().Matches(text[..close]).Select(p => (p.Groups["type"].Value, SizeOf(p))).ToList();
            var bounds = MaxNtid().Match(text[close..open]);
            int? maxThreads = bounds.Success
                ? bounds.Groups["dims"].Value.Split(',', StringSplitOptions.TrimEntries).Aggregate(1, (product, d) => product * int.Parse(d, System.Globalization.CultureInfo.InvariantCulture))
                : null;
            var body = text[open..];
            var arrays = Shared().Matches(body).Select(s => (Name: s.Groups["name"].Value, Bytes: SizeOf(s)))
                .Concat(moduleShared.Where(m => body.Contains(m.Key, StringComparison.Ordinal)).Select(m => (Name: m.Key, Bytes: m.Value)))
                .ToList();
            entries.Add(new PtxEntry(starts[i].Groups["name"].Value, parameters, maxThreads, arrays.Sum(a => a.Bytes),
                arrays.Select(a => $"{a.Name}[{a.Bytes}]").ToList(), Fma().Count(body)));
        }
        return entries;
    }

    /// <summary>Bytes of a <c>.b8 name[bytes]</c> / <c>.u32 name</c> style declaration: element bits / 8 × count.</summary>
    private static int SizeOf(Match declaration)
    {
        var bits = int.Parse(declaration.Groups["bits"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var count = declaration.Groups["count"].Success ? int.Parse(declaration.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture) : 1;
        return bits / 8 * count;
    }

    [GeneratedRegex(@"^\.visible\s+\.entry\s+(?<name>\w+)\s*\(", RegexOptions.Multiline)]
    private static partial Regex EntryStart();

    [GeneratedRegex(@"\.param\s+(?:\.align\s+\d+\s+)?(?<type>\.[bsuf](?<bits>\d+))\s+\w+(?:\[(?<count>\d+)\])?")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\.maxntid\s+(?<dims>\d+(?:\s*,\s*\d+)*)")]
    private static partial Regex MaxNtid();

    [GeneratedRegex(@"\.shared\s+(?:\.align\s+\d+\s+)?\.[bsuf](?<bits>\d+)\s+(?<name>[\w$]+)(?:\[(?<count>\d+)\])?")]
    private static partial Regex Shared();

    [GeneratedRegex(@"^\s*(?:@!?%\w+\s+)?fma\.", RegexOptions.Multiline)]
    private static partial Regex Fma();
}
