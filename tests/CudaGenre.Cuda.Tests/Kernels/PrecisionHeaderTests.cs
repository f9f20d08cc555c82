using System.Text.RegularExpressions;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Kernels;

/// <summary>
/// <c>kernels/precision.cuh</c> against the one table of storage facts, <see cref="KernelStorageFacts"/> (which the
/// engine's PrecisionTraits maps every precision to): the header must define each storage type's C type with the
/// table's size, and every entry point named <c>…_&lt;suffix&gt;</c> must be instantiated for that suffix's C type.
/// C# and CUDA C++ cannot share one file, so the C# table is the source and this is the check (a generated header
/// would still need hand-written conversions beside it, and a check that the committed copy is current).
/// </summary>
public partial class PrecisionHeaderTests
{
    private static readonly KernelStorage[] Storages = Enum.GetValues<KernelStorage>();

    [Fact]
    public void Header_DefinesEachTableType_WithItsSize_AndItsConversions()
    {
        Assert.Empty(HeaderProblems(KernelSources.ReadFile(KernelSources.PrecisionHeader)));
    }

    [Fact]
    public void EveryEntryPoint_IsInstantiatedForTheCTypeOfItsSuffix()
    {
        var problems = KernelSources.Names.SelectMany(file => EntryPointProblems(file, KernelSources.ReadFile(file))).ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>The size check as the compiler sees it: <c>sizeof</c> and <c>alignof</c> of each C type, by NVRTC, equal the table's bytes.</summary>
    [Fact]
    public void Nvrtc_SizeAndAlignmentOfEachCType_AreTheTablesBytes()
    {
        Requirements.Nvrtc();
        var compiler = new KernelCompiler(cache: null);
        var header = KernelSources.ReadFile(KernelSources.PrecisionHeader);
        compiler.CompileSource("precision-probe.cu", SizeProbe(header), KernelTarget.Ptx(80));

        // And it can fail: a bf16 aligned to 4 bytes is 4 bytes long.
        var planted = header.Replace("struct __align__(2) cg_bf16", "struct __align__(4) cg_bf16", StringComparison.Ordinal);
        Assert.NotEqual(header, planted);
        var e = Assert.Throws<NvrtcCompilationException>(() => compiler.CompileSource("precision-probe.cu", SizeProbe(planted), KernelTarget.Ptx(80)));
        Assert.Contains("cg_bf16: KernelStorageFacts says 2 bytes", e.Log, StringComparison.Ordinal);
    }

    /// <summary>The checks must be able to fail: each planted mismatch is reported, naming the type or entry point.</summary>
    [Fact]
    public void Checks_ReportPlantedMismatches()
    {
        var header = KernelSources.ReadFile(KernelSources.PrecisionHeader);
        Assert.Contains(HeaderProblems(header.Replace("struct __align__(2) cg_bf16", "struct __align__(4) cg_bf16", StringComparison.Ordinal)),
            p => p.Contains("cg_bf16", StringComparison.Ordinal) && p.Contains("2 bytes", StringComparison.Ordinal));
        Assert.Contains(HeaderProblems(header.Replace("cg_half", "cg_fp16", StringComparison.Ordinal)), p => p.Contains("cg_half", StringComparison.Ordinal));
        Assert.Contains(HeaderProblems(header.Replace("cg_from_float<cg_bf16>", "cg_from_float<cg_other>", StringComparison.Ordinal)),
            p => p.Contains("cg_from_float<cg_bf16>", StringComparison.Ordinal));

        const string Swapped = """
            #define ENTRY(NAME, T) extern "C" __global__ void NAME(const T* x) { }
            ENTRY(widen_f16, cg_bf16)
            ENTRY(widen_f32, float)
            extern "C" __global__ void direct_bf16(const cg_bf16* x) { }
            """;
        var problems = EntryPointProblems("planted.cu", Swapped);
        Assert.Contains(problems, p => p.StartsWith("planted.cu: widen_f16", StringComparison.Ordinal) && p.Contains("cg_half", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("planted.cu: direct_bf16", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("widen_f32", StringComparison.Ordinal));

        var probe = SizeProbe(header);
        Assert.Contains("static_assert(sizeof(cg_bf16) == 2", probe, StringComparison.Ordinal);
        Assert.Contains("static_assert(alignof(float) == 4", probe, StringComparison.Ordinal);
    }

    /// <summary>What precision.cuh gets wrong against the table: a 16-bit type missing or of another size, a storage struct the table lacks, a missing conversion.</summary>
    private static List<string> HeaderProblems(string header)
    {
        var code = CudaSource.WithoutComments(header);
        var problems = new List<string>();
        var structs = StorageStruct().Matches(code).ToDictionary(m => m.Groups["name"].Value, m => m);
        foreach (var storage in Storages)
        {
            var type = storage.CType();
            if (type == "float")
            {
                if (storage.Bytes() != sizeof(float))
                    problems.Add($"{storage.Suffix()}: the table says float has {storage.Bytes()} bytes; it has {sizeof(float)}");
            }
            else if (!structs.TryGetValue(type, out var s))
            {
                problems.Add($"{storage.Suffix()}: precision.cuh defines no 'struct __align__(n) {type} {{ unsigned short bits; }}'");
            }
            else
            {
                // One unsigned short payload: 2 bytes, aligned as declared; both must be the table's size.
                var align = int.Parse(s.Groups["align"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (align != storage.Bytes() || storage.Bytes() != sizeof(ushort))
                    problems.Add($"{storage.Suffix()}: {type} is an unsigned short aligned to {align}; the table says {storage.Bytes()} bytes");
            }
            if (!code.Contains($"cg_from_float<{type}>(float x)", StringComparison.Ordinal))
                problems.Add($"{storage.Suffix()}: precision.cuh has no cg_from_float<{type}>(float x) specialization");
            if (!Regex.IsMatch(code, $@"float\s+cg_to_float\({Regex.Escape(type)}\s+x\)"))
                problems.Add($"{storage.Suffix()}: precision.cuh has no cg_to_float({type} x)");
        }
        foreach (var name in structs.Keys.Where(n => !Storages.Any(s => s.CType() == n)))
            problems.Add($"precision.cuh defines storage type {name}, which KernelStorageFacts does not list");
        return problems;
    }

    /// <summary>Entry points whose macro instantiation names another storage type's C type than their suffix's (or none, or several).</summary>
    private static IEnumerable<string> EntryPointProblems(string file, string source)
    {
        foreach (var (name, arguments) in CudaSource.EntryPointsWithArguments(source))
        {
            var storage = Storages.Where(s => name.EndsWith("_" + s.Suffix(), StringComparison.Ordinal)).ToList();
            if (storage.Count != 1)
            {
                yield return $"{file}: {name} does not end in one storage suffix ({string.Join(", ", Storages.Select(s => "_" + s.Suffix()))})";
                continue;
            }
            if (arguments is null)
            {
                yield return $"{file}: {name} is written out, not stamped by an entry macro whose arguments name its storage type (kernels/README.md)";
                continue;
            }
            var named = Storages.Where(s => arguments.Any(a => Regex.IsMatch(a, $@"^{Regex.Escape(s.CType())}$"))).ToList();
            if (named.Count != 1 || named[0] != storage[0])
            {
                yield return $"{file}: {name} is instantiated for [{string.Join(", ", named.Select(s => s.CType()))}]; " +
                    $"its suffix _{storage[0].Suffix()} is {storage[0].CType()} (KernelStorageFacts)";
            }
        }
    }

    /// <summary>precision.cuh followed by a static_assert of each table type's size and alignment.</summary>
    private static string SizeProbe(string header) =>
        KernelSources.Combine(header, "precision-probe.cu", string.Concat(Storages.Select(s =>
            $"static_assert(sizeof({s.CType()}) == {s.Bytes()}, \"{s.CType()}: KernelStorageFacts says {s.Bytes()} bytes\");\n" +
            $"static_assert(alignof({s.CType()}) == {s.Bytes()}, \"{s.CType()}: KernelStorageFacts says {s.Bytes()}-byte alignment\");\n")));

    [GeneratedRegex(@"struct\s+__align__\((?<align>\d+)\)\s+(?<name>cg_\w+)\s*\{\s*unsigned\s+short\s+bits\s*;\s*\}\s*;")]
    private static partial Regex StorageStruct();
}
