using System.Text.Json;

namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// Declarations the bindings mirror that the reference headers lack because they are newer (Bindings/allow-list.json):
/// a function ("cuFoo"), an enum member ("cudnnStatus_t.CUDNN_STATUS_X"), an enum or a struct, each with the reason.
/// An entry only excuses absence: a value or signature that differs is still a mismatch, and an entry for something the
/// header does declare is reported as no longer needed.
/// </summary>
public sealed class AllowList
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Bindings", "allow-list.json");

    private AllowList(IReadOnlyDictionary<string, string> reasons) => Reasons = reasons;

    /// <summary>Reason by declaration name.</summary>
    public IReadOnlyDictionary<string, string> Reasons { get; }

    public static AllowList Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return new AllowList(document.RootElement.GetProperty("entries").EnumerateArray()
            .ToDictionary(e => e.GetProperty("declaration").GetString()!, e => e.GetProperty("reason").GetString()!));
    }

    public bool Excuses(string declaration) => Reasons.ContainsKey(declaration);
}
