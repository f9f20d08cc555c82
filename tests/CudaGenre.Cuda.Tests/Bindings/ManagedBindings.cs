using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace CudaGenre.Cuda.Tests.Bindings;

/// <summary>The hand-written bindings in CudaGenre.Cuda, found by reflection: what the conformance test compares.</summary>
public static partial class ManagedBindings
{
    /// <summary>Which header declares what each binding class imports.</summary>
    public static readonly IReadOnlyDictionary<string, string> HeaderOfApi = new Dictionary<string, string>
    {
        ["DriverApi"] = "cuda.h",
        ["NvrtcApi"] = "nvrtc.h",
        // cublas_v2.h: the header whose macros map cublasCreate to cublasCreate_v2 and so on.
        ["CublasApi"] = "cublas_v2.h",
        ["CublasLtApi"] = "cublasLt.h",
        ["CudnnApi"] = "cudnn",
    };

    /// <summary>Which header declares the enums and structs of each namespace.</summary>
    public static readonly IReadOnlyDictionary<string, string> HeaderOfNamespace = new Dictionary<string, string>
    {
        ["CudaGenre.Cuda.Driver"] = "cuda.h",
        ["CudaGenre.Cuda.Nvrtc"] = "nvrtc.h",
        // cublasLt.h includes cublas_api.h, so it declares the cuBLAS enums as well as its own.
        ["CudaGenre.Cuda.Blas"] = "cublasLt.h",
        // library_types.h (cudaDataType_t, libraryPropertyType_t), which cublas_v2.h includes.
        ["CudaGenre.Cuda"] = "cublas_v2.h",
        ["CudaGenre.Cuda.Dnn"] = "cudnn",
    };

    private static readonly Assembly Cuda = typeof(CudaException).Assembly;

    /// <summary>Every class with a [LibraryImport] method.</summary>
    public static IEnumerable<Type> ApiClasses => Cuda.GetTypes().Where(t => Imports(t).Any());

    public static IEnumerable<MethodInfo> Imports(Type api) =>
        api.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .Where(m => m.IsDefined(typeof(LibraryImportAttribute)));

    /// <summary>The exported symbol a method binds: EntryPoint when set, else the method's name.</summary>
    public static string EntryPoint(MethodInfo import) => import.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? import.Name;

    /// <summary>
    /// Every enum and struct that mirrors a C declaration: those named as C names them (CU…, cu…, nvrtc…, library…) and
    /// any other that a binding's signature or a mirrored struct uses. The project's own types have PascalCase names.
    /// </summary>
    public static IEnumerable<Type> MirroredTypes
    {
        get
        {
            var used = ApiClasses.SelectMany(Imports)
                .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
                .Select(Terminal).Where(t => t.IsValueType && !t.IsPrimitive && t != typeof(void) && !typeof(SafeHandle).IsAssignableFrom(t));
            var named = Cuda.GetTypes().Where(t => t.IsValueType && !t.IsNested && CName().IsMatch(t.Name));
            var all = named.Union(used).ToList();
            var fields = all.Where(t => !t.IsEnum).SelectMany(t => t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                .Where(f => !f.IsDefined(typeof(System.Runtime.CompilerServices.FixedBufferAttribute)))
                .Select(f => f.FieldType).Where(t => t.IsValueType && !t.IsPrimitive);
            return all.Union(fields).OrderBy(t => t.FullName, StringComparer.Ordinal);
        }
    }

    /// <summary>The ABI view of a C# parameter or return type.</summary>
    public static Shape ShapeOf(Type type)
    {
        var pointers = 0;
        while (type.IsByRef || type.IsPointer)
        {
            pointers++;
            type = type.GetElementType()!;
        }
        if (type == typeof(void))
            return new Shape(pointers, ShapeKind.Void, 0, []);
        if (type.IsEnum)
            return new Shape(pointers, ShapeKind.Enum, Marshal.SizeOf(Enum.GetUnderlyingType(type)), [type.Name]);
        if (typeof(SafeHandle).IsAssignableFrom(type))
            return new Shape(pointers, ShapeKind.Handle, IntPtr.Size, [type.Name]);
        if (type == typeof(float) || type == typeof(double))
            return new Shape(pointers, ShapeKind.FloatingPoint, Marshal.SizeOf(type), []);
        if (type.IsPrimitive)
            return new Shape(pointers, ShapeKind.Integral, Marshal.SizeOf(type), []);
        return new Shape(pointers, ShapeKind.Struct, Marshal.SizeOf(type), [type.Name]);
    }

    /// <summary>The type at the end of a parameter's pointers and ref/out.</summary>
    public static Type Terminal(Type type)
    {
        while (type.IsByRef || type.IsPointer)
            type = type.GetElementType()!;
        return type;
    }

    /// <summary>How the C# source spells a parameter's type ("out nint", "byte**").</summary>
    public static string Spelling(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (!type.IsByRef)
            return Spelling(type);
        var modifier = parameter.IsOut ? "out" : parameter.IsIn ? "in" : "ref";
        return $"{modifier} {Spelling(type.GetElementType()!)}";
    }

    public static string Spelling(Type type) => type.IsPointer ? Spelling(type.GetElementType()!) + "*" : Keyword(type);

    /// <summary>The C# size of a struct field: fixed buffers multiplied out, enums by their underlying type.</summary>
    public static int FieldSize(FieldInfo field)
    {
        if (field.GetCustomAttribute<System.Runtime.CompilerServices.FixedBufferAttribute>() is { } buffer)
            return Marshal.SizeOf(buffer.ElementType) * buffer.Length;
        return field.FieldType.IsEnum ? Marshal.SizeOf(Enum.GetUnderlyingType(field.FieldType)) : Marshal.SizeOf(field.FieldType);
    }

    private static string Keyword(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Byte => "byte",
        TypeCode.SByte => "sbyte",
        TypeCode.Int16 => "short",
        TypeCode.UInt16 => "ushort",
        TypeCode.Int32 when !type.IsEnum => "int",
        TypeCode.UInt32 when !type.IsEnum => "uint",
        TypeCode.Int64 when !type.IsEnum => "long",
        TypeCode.UInt64 when !type.IsEnum => "ulong",
        TypeCode.Single => "float",
        TypeCode.Double => "double",
        _ when type == typeof(nint) => "nint",
        _ when type == typeof(nuint) => "nuint",
        _ when type == typeof(void) => "void",
        _ => type.Name,
    };

    [GeneratedRegex("^(CU|cu|nvrtc|library)")]
    private static partial Regex CName();
}
