using System.Text.Json;

namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// The committed cuDNN 9 declaration manifest (Bindings/cudnn9.manifest.json, made by tools/bindings/make-cudnn-manifest.sh
/// from the cuDNN headers, which are not committed): the declarations the bindings name, and the names of all cuDNN functions.
/// </summary>
public static class CudnnManifest
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Bindings", "cudnn9.manifest.json");

    public static CDeclarations Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var functions = root.GetProperty("functions").EnumerateObject().ToDictionary(f => f.Name, f => new CFunction(f.Name,
            Chain(f.Value.GetProperty("returns")),
            [.. f.Value.GetProperty("params").EnumerateArray().Select(p => new CParameter(p[0].GetString()!, Chain(p[1])))]));
        var enums = root.GetProperty("enums").EnumerateObject().ToDictionary(e => e.Name, e => new CEnumeration(e.Name,
            e.Value.GetProperty("size").GetInt32(),
            e.Value.GetProperty("members").EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetInt64())));
        var structs = root.GetProperty("structs").EnumerateObject().ToDictionary(s => s.Name, s => new CStruct(s.Name,
            s.Value.GetProperty("size").GetInt32(),
            [.. s.Value.GetProperty("fields").EnumerateArray().Select(f => new CField(f[0].GetString()!, f[1].GetInt32(), Chain(f[2])))]));
        var declared = root.GetProperty("declaredFunctions").EnumerateArray().Select(n => n.GetString()!).ToHashSet();
        return new CDeclarations($"cuDNN {root.GetProperty("cudnnVersion").GetString()} manifest", functions, declared, enums, structs);
    }

    private static CTypeChain Chain(JsonElement links) => new([.. links.EnumerateArray().Select(l => l.GetString()!)]);
}
