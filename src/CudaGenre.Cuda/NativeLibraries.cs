using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CudaGenre.Cuda;

/// <summary>
/// Finds and loads the CUDA-family libraries for every <c>[LibraryImport]</c> in this assembly. The search
/// order: <see cref="SearchPath"/>, then <c>CUDAGENRE_CUDA_LIB_PATH</c> (colon-separated folders), then the
/// system loader by soname (<c>LD_LIBRARY_PATH</c>, ldconfig), then known install places (CUDA toolkits,
/// conda, pip's <c>site-packages/nvidia/*/lib</c>). A library that cannot be found surfaces as
/// <see cref="CudaLibraryNotFoundException"/> from the first call into it, never as a bare
/// <see cref="DllNotFoundException"/>. Results are cached for the life of the process.
/// </summary>
public static class NativeLibraries
{
    /// <summary>The environment variable with colon-separated folders searched before the system loader.</summary>
    public const string PathVariable = "CUDAGENRE_CUDA_LIB_PATH";

    private static readonly LibraryResolver Default = new(new LibrarySearch());

    /// <summary>
    /// Folders searched before everything else, colon-separated like <c>CUDAGENRE_CUDA_LIB_PATH</c>; null
    /// (the default) = none. Set it before the first CUDA call: once a library has loaded, setting it throws
    /// <see cref="InvalidOperationException"/> (a loaded library cannot be swapped). Setting it after a failed
    /// search is allowed and makes the next call search again.
    /// </summary>
    public static string? SearchPath
    {
        get => Default.SearchPath;
        set => Default.SearchPath = value;
    }

    /// <summary>The logical names this class resolves (see <see cref="NativeLibraryNames"/>), in report order.</summary>
    public static IReadOnlyList<string> Names { get; } = LibraryCatalog.All.Select(l => l.Name).ToList();

    /// <summary>Searches for and loads a library (once; later calls return the cached result). Never throws for a missing library.</summary>
    /// <param name="logicalName">One of <see cref="NativeLibraryNames"/>.</param>
    public static LibraryProbe Probe(string logicalName) => Default.Probe(logicalName);

    /// <summary>Loads a library and returns its handle.</summary>
    /// <exception cref="CudaLibraryNotFoundException">It is not found anywhere; the message says where it looked.</exception>
    public static nint Load(string logicalName) => Default.Load(logicalName);

    /// <summary>Loads a library if it can be found.</summary>
    public static bool TryLoad(string logicalName, out nint handle) => Default.TryLoad(logicalName, out handle);

    /// <summary>Whether a library has already been loaded, without searching for it.</summary>
    internal static bool IsLoaded(string logicalName) => Default.IsLoaded(logicalName);

    /// <summary>Registers the import resolver when this assembly is first used, before any native call can run.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The resolver must be in place before the first [LibraryImport] call, whichever type makes it.")]
    internal static void RegisterResolver() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);

    /// <summary>Our five names go through the search (and throw when not found); anything else keeps the runtime's default.</summary>
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        LibraryCatalog.Contains(name) ? Default.Load(name) : 0;
}

/// <summary>The cache and policy around <see cref="LibrarySearch"/>; one instance per process, more in tests.</summary>
internal sealed class LibraryResolver(LibrarySearch search)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LibraryProbe> _probes = [];

    public string? SearchPath
    {
        get
        {
            lock (_gate)
                return search.ExplicitFolders;
        }
        set
        {
            lock (_gate)
            {
                if (_probes.Values.FirstOrDefault(p => p.Found) is { } loaded)
                {
                    throw new InvalidOperationException(
                        $"NativeLibraries.SearchPath must be set before the first CUDA call: {loaded.Name} is already loaded from {loaded.Path}.");
                }
                search.ExplicitFolders = value;
                _probes.Clear();
            }
        }
    }

    public LibraryProbe Probe(string logicalName)
    {
        var info = LibraryCatalog.Get(logicalName);
        lock (_gate)
        {
            if (_probes.TryGetValue(logicalName, out var cached))
                return cached;
            // What it needs goes first, so that its DT_NEEDED entries and dlopen calls by soname find them loaded.
            foreach (var dependency in info.LoadFirst)
                Probe(dependency);
            var probe = search.Probe(logicalName);
            _probes[logicalName] = probe;
            return probe;
        }
    }

    public nint Load(string logicalName)
    {
        var probe = Probe(logicalName);
        return probe.Found ? probe.Handle : throw new CudaLibraryNotFoundException(probe);
    }

    public bool TryLoad(string logicalName, out nint handle)
    {
        var probe = Probe(logicalName);
        handle = probe.Handle;
        return probe.Found;
    }

    public bool IsLoaded(string logicalName)
    {
        lock (_gate)
            return _probes.TryGetValue(logicalName, out var probe) && probe.Found;
    }
}
