using System.Reflection;
using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>
/// Compares the bindings with the C declarations of the given headers (keys as in <see cref="ManagedBindings.HeaderOfApi"/>)
/// and collects every mismatch, so that one failure lists them all.
/// </summary>
public sealed class BindingComparer(IReadOnlyDictionary<string, CDeclarations> headers, AllowList allowList)
{
    private readonly List<string> _mismatches = [];

    public IReadOnlyList<string> Mismatches => _mismatches;

    public int Functions { get; private set; }
    public int Enums { get; private set; }
    public int Members { get; private set; }
    public int Structs { get; private set; }

    public string Summary => $"{Functions} functions, {Enums} enums ({Members} members), {Structs} structs";

    public void CompareAll()
    {
        foreach (var api in ManagedBindings.ApiClasses)
        {
            if (!ManagedBindings.HeaderOfApi.TryGetValue(api.Name, out var header))
                _mismatches.Add($"{api.Name}: no header is known for this binding class (add it to ManagedBindings.HeaderOfApi)");
            else if (headers.TryGetValue(header, out var c))
            {
                foreach (var import in ManagedBindings.Imports(api))
                    CompareFunction(api, import, c);
            }
        }
        foreach (var type in ManagedBindings.MirroredTypes)
        {
            if (!ManagedBindings.HeaderOfNamespace.TryGetValue(type.Namespace ?? "", out var header))
                _mismatches.Add($"{type.FullName}: no header is known for this namespace (add it to ManagedBindings.HeaderOfNamespace)");
            else if (headers.TryGetValue(header, out var c))
            {
                if (type.IsEnum)
                    CompareEnum(type, c);
                else
                    CompareStruct(type, c);
            }
        }
    }

    private void CompareFunction(Type api, MethodInfo import, CDeclarations c)
    {
        var name = ManagedBindings.EntryPoint(import);
        var where = $"[{c.Header}] {name} ({api.Name}.{import.Name})";
        Functions++;
        if (!c.Functions.TryGetValue(name, out var function))
        {
            if (c.DeclaredFunctions.Contains(name))
            {
                _mismatches.Add($"{where}: declared in the headers but not in the manifest; regenerate it (tools/bindings/make-cudnn-manifest.sh)");
                return;
            }
            if (allowList.Excuses(name))
                return;
            var versions = c.DeclaredFunctions.Where(f => f.StartsWith(name + "_v", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            _mismatches.Add($"{where}: the header declares no such function" +
                (versions.Count > 0 ? $" (it declares {string.Join(" and ", versions)} instead)" : ""));
            return;
        }
        NotAllowListed(name, c);

        CompareType($"{where} return type", ManagedBindings.Spelling(import.ReturnType), import.ReturnType, function.Returns);
        var managed = import.GetParameters();
        var native = function.Parameters;
        if (managed.Length != native.Count)
        {
            _mismatches.Add($"{where}: {managed.Length} parameters in C# ({string.Join(", ", managed.Select(p => p.Name))}), " +
                $"{native.Count} in the header ({string.Join(", ", native.Select(p => p.Name))})");
            return;
        }
        var managedNames = managed.Select(p => p.Name!).ToList();
        var nativeNames = native.Select(p => p.Name).ToList();
        var reordered = !managedNames.SequenceEqual(nativeNames, StringComparer.Ordinal) &&
            managedNames.Order(StringComparer.Ordinal).SequenceEqual(nativeNames.Order(StringComparer.Ordinal), StringComparer.Ordinal);
        if (reordered)
            _mismatches.Add($"{where}: parameters in another order: C# ({string.Join(", ", managedNames)}), header ({string.Join(", ", nativeNames)})");
        for (var i = 0; i < managed.Length; i++)
        {
            var parameter = $"{where} parameter {i + 1} '{managed[i].Name}'";
            if (!reordered && managed[i].Name != native[i].Name)
                _mismatches.Add($"{parameter}: the header names it '{native[i].Name}'");
            CompareType(parameter, ManagedBindings.Spelling(managed[i]), managed[i].ParameterType, native[i].Type);
        }
    }

    private void CompareType(string where, string spelling, Type managedType, CTypeChain native)
    {
        var c = native.Shape;
        var m = ManagedBindings.ShapeOf(managedType);
        if (!Compatible(c, m, ManagedBindings.Terminal(managedType)))
            _mismatches.Add($"{where}: C# {spelling} ({m}), header {native.Spelling} ({c})");
    }

    private static bool Compatible(Shape c, Shape m, Type managedTerminal)
    {
        var pointerSized = managedTerminal == typeof(nint) || managedTerminal == typeof(nuint);
        // The project's convention for device memory: a device address travels as ulong (CUdeviceptr), also where
        // cuBLAS and cuDNN declare it as a data pointer (const void* A, float* C).
        if (c.Pointers == 1 && m.Pointers == 0 && managedTerminal == typeof(ulong) && c.Kind is ShapeKind.Void or ShapeKind.Integral or ShapeKind.FloatingPoint)
            return true;
        if (c.Pointers != m.Pointers)
            return false;
        return c.Kind switch
        {
            ShapeKind.Handle => m.Kind == ShapeKind.Handle || pointerSized,
            ShapeKind.Integral or ShapeKind.FloatingPoint => m.Kind == c.Kind && m.Size == c.Size,
            ShapeKind.Void => m.Kind == ShapeKind.Void,
            ShapeKind.Enum or ShapeKind.Struct => m.Kind == c.Kind && m.Size == c.Size && c.Names.Intersect(m.Names, StringComparer.Ordinal).Any(),
            _ => pointerSized,
        };
    }

    private void CompareEnum(Type type, CDeclarations c)
    {
        var where = $"[{c.Header}] enum {type.Name}";
        Enums++;
        var names = Enum.GetNames(type);
        Members += names.Length;
        if (!c.Enums.TryGetValue(type.Name, out var native))
        {
            if (!allowList.Excuses(type.Name))
                _mismatches.Add($"{where}: the header declares no such enum");
            return;
        }
        NotAllowListed(type.Name, c);
        var size = Marshal.SizeOf(Enum.GetUnderlyingType(type));
        if (size != native.Size)
            _mismatches.Add($"{where}: {size} bytes in C#, {native.Size} in the header");
        foreach (var member in names)
        {
            var value = Convert.ToInt64(Enum.Parse(type, member), System.Globalization.CultureInfo.InvariantCulture);
            if (!native.Members.TryGetValue(member, out var header))
            {
                if (!allowList.Excuses($"{type.Name}.{member}"))
                    _mismatches.Add($"{where}: {member} = {value} is not in the header");
                continue;
            }
            NotAllowListed($"{type.Name}.{member}", c);
            if (value != header)
                _mismatches.Add($"{where}: {member} is {value} in C#, {header} in the header");
        }
    }

    private void CompareStruct(Type type, CDeclarations c)
    {
        var where = $"[{c.Header}] struct {type.Name}";
        Structs++;
        if (!c.Structs.TryGetValue(type.Name, out var native))
        {
            if (!allowList.Excuses(type.Name))
                _mismatches.Add($"{where}: the header declares no such struct");
            return;
        }
        NotAllowListed(type.Name, c);
        var size = Marshal.SizeOf(type);
        if (size != native.Size)
            _mismatches.Add($"{where}: {size} bytes in C#, {native.Size} in the header");
        var fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .OrderBy(f => (int)Marshal.OffsetOf(type, f.Name)).ToList();
        var managedNames = fields.Select(f => f.Name).ToList();
        var nativeNames = native.Fields.Select(f => f.Name).ToList();
        if (!managedNames.SequenceEqual(nativeNames, StringComparer.Ordinal))
            _mismatches.Add($"{where}: fields in C# ({string.Join(", ", managedNames)}), in the header ({string.Join(", ", nativeNames)})");
        foreach (var field in fields)
        {
            var header = native.Fields.FirstOrDefault(f => f.Name == field.Name);
            if (header is null)
                continue;
            var offset = (int)Marshal.OffsetOf(type, field.Name);
            if (offset != header.Offset)
                _mismatches.Add($"{where}: field {field.Name} at offset {offset} in C#, {header.Offset} in the header");
            var fieldSize = ManagedBindings.FieldSize(field);
            if (fieldSize != header.Type.FieldSize)
                _mismatches.Add($"{where}: field {field.Name} is {fieldSize} bytes in C# ({ManagedBindings.Spelling(field.FieldType)}), " +
                    $"{header.Type.FieldSize} in the header ({header.Type.Spelling})");
        }
    }

    /// <summary>An allow-list entry only excuses absence: one for something the header declares has outlived its reason.</summary>
    private void NotAllowListed(string declaration, CDeclarations c)
    {
        if (allowList.Excuses(declaration))
            _mismatches.Add($"[{c.Header}] allow-list entry {declaration} is no longer needed: the header declares it");
    }
}
