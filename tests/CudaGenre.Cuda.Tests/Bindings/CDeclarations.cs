namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// A C type as castxml resolves it, outermost first, const left out: "typedef NAME", "*" (pointer), "[N]" (array of N),
/// then one terminal: "NAME/BYTES" (fundamental), "void", "enum NAME/BYTES", "struct NAME/BYTES" or "union NAME/BYTES"
/// ("?" bytes when incomplete), "function". The cuDNN manifest stores chains in this form (tools/bindings/cudnn_manifest.py);
/// <see cref="CastXmlReader"/> makes the same from castxml's XML of the CUDA headers.
/// </summary>
public sealed record CTypeChain(IReadOnlyList<string> Links)
{
    /// <summary>How the header spells the type, pointers included ("size_t", "nvrtcProgram*", "char**").</summary>
    public string Spelling
    {
        get
        {
            var pointers = Links.TakeWhile(link => link == "*").Count();
            var named = Links[pointers];
            var name = named.StartsWith("typedef ", StringComparison.Ordinal) ? named["typedef ".Length..] : Terminal(named).Name;
            return name + new string('*', pointers);
        }
    }

    /// <summary>The ABI view of the type (pointer levels, kind, size); a typedef of a pointer to a struct is a handle.</summary>
    public Shape Shape
    {
        get
        {
            var pointers = 0;
            var names = new List<string>();
            for (var i = 0; i < Links.Count; i++)
            {
                var link = Links[i];
                // Arrays occur only in struct fields (a parameter's array has decayed to a pointer); see FieldSize.
                if (link == "*" || link.StartsWith('['))
                {
                    pointers++;
                    continue;
                }
                if (link.StartsWith("typedef ", StringComparison.Ordinal))
                {
                    names.Add(link["typedef ".Length..]);
                    if (i + 1 < Links.Count && Links[i + 1] == "*" && IsStructReachedByTypedefs(i + 2))
                        return new Shape(pointers, ShapeKind.Handle, 8, names);
                    continue;
                }
                var (kind, name, size) = Terminal(link);
                if (name.Length > 0)
                    names.Add(name);
                return new Shape(pointers, kind, size, names);
            }
            throw new InvalidDataException($"type chain without a terminal: {string.Join(" > ", Links)}");
        }
    }

    /// <summary>Bytes the type takes as a struct field (arrays multiplied out; -1 for an incomplete struct).</summary>
    public int FieldSize
    {
        get
        {
            var count = 1;
            foreach (var link in Links)
            {
                if (link == "*")
                    return count * 8;
                if (link.StartsWith('['))
                    count *= int.Parse(link[1..^1], System.Globalization.CultureInfo.InvariantCulture);
                else if (!link.StartsWith("typedef ", StringComparison.Ordinal))
                    return Terminal(link).Size is var size && size < 0 ? -1 : count * size;
            }
            throw new InvalidDataException($"type chain without a terminal: {string.Join(" > ", Links)}");
        }
    }

    private bool IsStructReachedByTypedefs(int from)
    {
        for (var i = from; i < Links.Count; i++)
        {
            if (Links[i].StartsWith("struct ", StringComparison.Ordinal) || Links[i].StartsWith("union ", StringComparison.Ordinal))
                return true;
            if (!Links[i].StartsWith("typedef ", StringComparison.Ordinal))
                return false;
        }
        return false;
    }

    private static (ShapeKind Kind, string Name, int Size) Terminal(string link)
    {
        if (link == "void")
            return (ShapeKind.Void, "void", 0);
        if (link == "function")
            return (ShapeKind.Function, "function", 8);
        var slash = link.LastIndexOf('/');
        var size = link[(slash + 1)..] == "?" ? -1 : int.Parse(link[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var text = link[..slash];
        if (text.StartsWith("enum ", StringComparison.Ordinal))
            return (ShapeKind.Enum, text["enum ".Length..], size);
        if (text.StartsWith("struct ", StringComparison.Ordinal))
            return (ShapeKind.Struct, text["struct ".Length..], size);
        if (text.StartsWith("union ", StringComparison.Ordinal))
            return (ShapeKind.Struct, text["union ".Length..], size);
        return (text is "float" or "double" or "long double" ? ShapeKind.FloatingPoint : ShapeKind.Integral, text, size);
    }
}

/// <summary>What a value is at the end of its pointers.</summary>
public enum ShapeKind
{
    Void,
    Integral,
    FloatingPoint,
    Enum,
    Struct,
    /// <summary>An opaque handle: in C a typedef of a pointer to a struct; in C# nint or a SafeHandle.</summary>
    Handle,
    Function,
}

/// <summary>
/// A parameter or return type as the ABI sees it: how many pointers lead to a value of this kind and size.
/// Names are the C typedef, enum and struct names met on the way (or the C# type's name), to match enums and structs by name.
/// </summary>
public sealed record Shape(int Pointers, ShapeKind Kind, int Size, IReadOnlyList<string> Names)
{
    public override string ToString()
    {
        var what = Kind switch
        {
            ShapeKind.Void => "void",
            ShapeKind.Integral => $"{Size}-byte integer",
            ShapeKind.FloatingPoint => $"{Size}-byte float",
            ShapeKind.Enum => $"enum {Names[^1]} ({Size} bytes)",
            ShapeKind.Struct => $"struct {Names.FirstOrDefault(n => n.Length > 0) ?? "?"} ({(Size < 0 ? "incomplete" : $"{Size} bytes")})",
            ShapeKind.Handle => "handle",
            _ => "function",
        };
        return Pointers == 0 ? what : $"pointer{(Pointers > 1 ? $" level {Pointers}" : "")} to {what}";
    }
}

public sealed record CParameter(string Name, CTypeChain Type);

public sealed record CFunction(string Name, CTypeChain Returns, IReadOnlyList<CParameter> Parameters);

public sealed record CEnumeration(string Name, int Size, IReadOnlyDictionary<string, long> Members);

public sealed record CField(string Name, int Offset, CTypeChain Type);

public sealed record CStruct(string Name, int Size, IReadOnlyList<CField> Fields);

/// <summary>The declarations of one C header (with what it includes), looked up by the names C code uses.</summary>
public sealed class CDeclarations(
    string header,
    IReadOnlyDictionary<string, CFunction> functions,
    IReadOnlyCollection<string> declaredFunctions,
    IReadOnlyDictionary<string, CEnumeration> enums,
    IReadOnlyDictionary<string, CStruct> structs)
{
    /// <summary>The header as the failure messages name it ("cuda.h", "cuDNN 9.6.0 manifest").</summary>
    public string Header { get; } = header;

    /// <summary>Functions with their signatures, by exported name.</summary>
    public IReadOnlyDictionary<string, CFunction> Functions { get; } = functions;

    /// <summary>Every function the header declares, also those <see cref="Functions"/> leaves out (the cuDNN manifest keeps only the bound ones).</summary>
    public IReadOnlyCollection<string> DeclaredFunctions { get; } = declaredFunctions;

    /// <summary>Enums by enum tag and by typedef name.</summary>
    public IReadOnlyDictionary<string, CEnumeration> Enums { get; } = enums;

    /// <summary>Complete structs by struct tag and by typedef name.</summary>
    public IReadOnlyDictionary<string, CStruct> Structs { get; } = structs;
}
