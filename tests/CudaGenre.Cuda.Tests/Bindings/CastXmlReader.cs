using System.Globalization;
using System.Xml.Linq;

namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// Reads castxml's XML (<c>castxml --castxml-output=1 -x c</c>) of a C header: every function, enum and complete
/// struct it declares or includes, with types as <see cref="CTypeChain"/>s (the form the cuDNN manifest stores).
/// </summary>
public static class CastXmlReader
{
    public static CDeclarations Read(string path, string header)
    {
        var elements = XDocument.Load(path).Root!.Elements().ToList();
        var byId = elements.Where(e => e.Attribute("id") is not null).ToDictionary(e => Text(e, "id"));

        var functions = new Dictionary<string, CFunction>();
        foreach (var f in elements.Where(e => e.Name == "Function"))
        {
            functions[Text(f, "name")] = new CFunction(Text(f, "name"), Chain(byId, Text(f, "returns")),
                [.. f.Elements("Argument").Select(a => new CParameter((string?)a.Attribute("name") ?? "", Chain(byId, Text(a, "type"))))]);
        }

        var enums = new Dictionary<string, CEnumeration>();
        var structs = new Dictionary<string, CStruct>();
        foreach (var e in elements.Where(e => e.Name == "Enumeration"))
        {
            var members = e.Elements("EnumValue").ToDictionary(v => Text(v, "name"), v => long.Parse(Text(v, "init"), CultureInfo.InvariantCulture));
            enums[Text(e, "name")] = new CEnumeration(Text(e, "name"), Bytes(e), members);
        }
        foreach (var s in elements.Where(e => e.Name == "Struct" && (string?)e.Attribute("incomplete") != "1"))
        {
            if (Text(s, "name").Length > 0)
                structs[Text(s, "name")] = StructNamed(byId, s, Text(s, "name"));
        }

        // C code names most enums and structs by a typedef ("typedef struct { … } cublasLtMatmulAlgo_t;").
        foreach (var t in elements.Where(e => e.Name == "Typedef"))
        {
            var target = Unelaborated(byId, Text(t, "type"));
            if (target.Name == "Enumeration" && enums.TryGetValue(Text(target, "name"), out var en))
                enums.TryAdd(Text(t, "name"), en);
            else if (target.Name == "Struct" && (string?)target.Attribute("incomplete") != "1")
                structs.TryAdd(Text(t, "name"), StructNamed(byId, target, Text(t, "name")));
        }
        return new CDeclarations(header, functions, functions.Keys, enums, structs);
    }

    /// <summary>The chain of links from a type id to its terminal, in the manifest's notation.</summary>
    private static CTypeChain Chain(Dictionary<string, XElement> byId, string typeId)
    {
        var links = new List<string>();
        while (true)
        {
            var e = byId[typeId];
            switch (e.Name.LocalName)
            {
                case "CvQualifiedType" or "ElaboratedType":
                    break;
                case "Typedef":
                    links.Add("typedef " + Text(e, "name"));
                    break;
                case "PointerType":
                    links.Add("*");
                    break;
                case "ArrayType":
                    links.Add($"[{int.Parse(Text(e, "max"), CultureInfo.InvariantCulture) + 1}]");
                    break;
                case "FundamentalType":
                    links.Add(Text(e, "name") == "void" ? "void" : $"{Text(e, "name")}/{SizeText(e)}");
                    return new CTypeChain(links);
                case "Enumeration":
                    links.Add($"enum {Text(e, "name")}/{SizeText(e)}");
                    return new CTypeChain(links);
                case "Struct" or "Union":
                    links.Add($"{e.Name.LocalName.ToLowerInvariant()} {Text(e, "name")}/{SizeText(e)}");
                    return new CTypeChain(links);
                case "FunctionType":
                    links.Add("function");
                    return new CTypeChain(links);
                default:
                    throw new InvalidDataException($"unexpected castxml type element {e.Name} ({typeId})");
            }
            typeId = Text(e, "type");
        }
    }

    private static CStruct StructNamed(Dictionary<string, XElement> byId, XElement s, string name)
    {
        var fields = ((string?)s.Attribute("members") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(id => byId[id]).Where(m => m.Name == "Field")
            .Select(m => new CField(Text(m, "name"), Bytes(m, "offset"), Chain(byId, Text(m, "type"))));
        return new CStruct(name, Bytes(s), [.. fields]);
    }

    private static XElement Unelaborated(Dictionary<string, XElement> byId, string typeId)
    {
        var e = byId[typeId];
        return e.Name == "ElaboratedType" || e.Name == "CvQualifiedType" ? Unelaborated(byId, Text(e, "type")) : e;
    }

    private static string Text(XElement e, string attribute) =>
        (string?)e.Attribute(attribute) ?? throw new InvalidDataException($"castxml {e.Name} without {attribute}");

    private static int Bytes(XElement e, string attribute = "size") => int.Parse(Text(e, attribute), CultureInfo.InvariantCulture) / 8;

    private static string SizeText(XElement e) =>
        e.Attribute("size") is { } size ? (int.Parse(size.Value, CultureInfo.InvariantCulture) / 8).ToString(CultureInfo.InvariantCulture) : "?";
}
