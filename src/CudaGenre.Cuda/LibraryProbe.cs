using System.Text.Json.Serialization;

namespace CudaGenre.Cuda;

/// <summary>The steps of the library search, in the order they run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LibrarySearchStep>))]
public enum LibrarySearchStep
{
    /// <summary>Folders set in code through <see cref="NativeLibraries.SearchPath"/>.</summary>
    SearchPath,

    /// <summary>Folders in the environment variable <c>CUDAGENRE_CUDA_LIB_PATH</c> (colon-separated).</summary>
    EnvironmentVariable,

    /// <summary>The system loader by soname: <c>LD_LIBRARY_PATH</c>, the ldconfig cache, the default folders.</summary>
    SystemLoader,

    /// <summary>Known install places: CUDA toolkits, distribution and WSL folders, conda, pip's <c>nvidia/*/lib</c>.</summary>
    KnownPlace,
}

/// <summary>One place the search looked at and what happened there.</summary>
/// <param name="Step">The search step.</param>
/// <param name="Place">A folder, a file, or the name of the step when it had nothing to look at.</param>
/// <param name="Outcome">What happened, e.g. "loaded", "no libcudnn.so.9, libcudnn.so.8", "failed to load: invalid ELF header".</param>
public sealed record LibraryAttempt(LibrarySearchStep Step, string Place, string Outcome)
{
    /// <summary>"place (step): outcome", or "step: outcome" when the place is the step itself.</summary>
    public override string ToString() => Place == Describe(Step) ? $"{Place}: {Outcome}" : $"{Place} ({Describe(Step)}): {Outcome}";

    /// <summary>How a step is named in reports.</summary>
    public static string Describe(LibrarySearchStep step) => step switch
    {
        LibrarySearchStep.SearchPath => "NativeLibraries.SearchPath",
        LibrarySearchStep.EnvironmentVariable => LibrarySearch.PathVariable,
        LibrarySearchStep.SystemLoader => "system loader",
        LibrarySearchStep.KnownPlace => "known place",
        _ => step.ToString(),
    };
}

/// <summary>
/// What the search for one native library found: whether it loaded, from which file, which step of the
/// search order found it, and every place tried (in order), with what happened there.
/// </summary>
/// <param name="Name">Logical name (see <see cref="NativeLibraryNames"/>), e.g. "cudnn".</param>
/// <param name="Sonames">The file names tried, most preferred first.</param>
/// <param name="Found">True when a file was found and loaded.</param>
/// <param name="Path">The file that was loaded: a full path, or a bare soname when the system loader found it; null when not found.</param>
/// <param name="FoundBy">The step that found it; null when not found.</param>
/// <param name="Attempts">Every place tried, in search order, including companion files loaded beside the library.</param>
public sealed record LibraryProbe(
    string Name, IReadOnlyList<string> Sonames, bool Found, string? Path, LibrarySearchStep? FoundBy, IReadOnlyList<LibraryAttempt> Attempts)
{
    /// <summary>The native handle of the loaded library (zero when not found).</summary>
    [JsonIgnore]
    public nint Handle { get; init; }
}
