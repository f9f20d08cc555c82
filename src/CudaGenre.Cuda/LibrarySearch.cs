using System.Runtime.InteropServices;

namespace CudaGenre.Cuda;

/// <summary>
/// The search for the CUDA-family libraries, in the order of the design: (1) explicit folders
/// (<see cref="NativeLibraries.SearchPath"/>), (2) <c>CUDAGENRE_CUDA_LIB_PATH</c>, (3) the system loader by
/// soname, (4) known install places. Everything it reads from the machine (environment, file-system root,
/// loader) is injectable so that tests can run it over fake folders. <see cref="NativeLibraries"/> holds
/// the process-wide instance.
/// </summary>
internal sealed class LibrarySearch
{
    /// <summary>The environment variable holding colon-separated folders searched before the system loader.</summary>
    public const string PathVariable = NativeLibraries.PathVariable;

    /// <summary>How the known places are described when none of them exists.</summary>
    private const string KnownPlacePatterns =
        "/usr/local/cuda*/lib64, /usr/local/cuda*/targets/x86_64-linux/lib, /usr/local/nvidia/lib64, /usr/lib/x86_64-linux-gnu, " +
        "/usr/lib64, /usr/lib/wsl/lib, $CONDA_PREFIX/lib, and site-packages/nvidia/*/lib of the system, user, virtualenv, conda and pyenv Pythons";

    private readonly Func<string, string?> _environment;
    private readonly string _root;
    private readonly bool _useLoader;
    private readonly Func<string, (nint Handle, string? Error)> _load;

    /// <param name="explicitFolders">Step 1: colon-separated folders, or null.</param>
    /// <param name="environment">Reads an environment variable (null = the real environment).</param>
    /// <param name="root">File-system root under which the fixed known places are looked for ("/" normally; a temp folder in tests).
    /// Places derived from environment variables (HOME, VIRTUAL_ENV, CONDA_PREFIX, PYENV_ROOT) are used as given.</param>
    /// <param name="useLoader">Whether step 3, the system loader, runs (tests turn it off to stay independent of the machine).</param>
    /// <param name="load">Loads a full path or a bare soname; returns the handle, or zero and the loader's error text (null = the runtime's loader).</param>
    public LibrarySearch(string? explicitFolders = null, Func<string, string?>? environment = null, string root = "/", bool useLoader = true,
        Func<string, (nint Handle, string? Error)>? load = null)
    {
        ExplicitFolders = explicitFolders;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _root = root;
        _useLoader = useLoader;
        _load = load ?? LoadWithError;
    }

    /// <summary>Step 1: colon-separated folders searched first (null or empty = not set).</summary>
    public string? ExplicitFolders { get; set; }

    /// <summary>Runs the search for one library and loads the first candidate file that loads.</summary>
    /// <param name="logicalName">One of <see cref="NativeLibraryNames"/>.</param>
    public LibraryProbe Probe(string logicalName)
    {
        var info = LibraryCatalog.Get(logicalName);
        var attempts = new List<LibraryAttempt>();

        foreach (var (step, folders) in new[]
        {
            (LibrarySearchStep.SearchPath, SplitFolders(ExplicitFolders)),
            (LibrarySearchStep.EnvironmentVariable, SplitFolders(_environment(PathVariable))),
        })
        {
            if (folders.Length == 0)
                attempts.Add(new(step, LibraryAttempt.Describe(step), "not set"));
            foreach (var folder in folders)
            {
                if (TryFolder(info, step, folder, attempts) is { } found)
                    return found;
            }
        }

        if (_useLoader)
        {
            if (TryLoader(info, attempts) is { } found)
                return found;
        }
        else
        {
            attempts.Add(new(LibrarySearchStep.SystemLoader, LibraryAttempt.Describe(LibrarySearchStep.SystemLoader), "skipped"));
        }

        var places = KnownPlaces();
        if (places.Count == 0)
            attempts.Add(new(LibrarySearchStep.KnownPlace, "known install places", $"none exists here (looked for {KnownPlacePatterns})"));
        foreach (var folder in places)
        {
            if (TryFolder(info, LibrarySearchStep.KnownPlace, folder, attempts) is { } found)
                return found;
        }
        return new LibraryProbe(info.Name, info.Sonames, false, null, null, attempts);
    }

    private static string[] SplitFolders(string? folders) =>
        string.IsNullOrWhiteSpace(folders) ? [] : folders.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private LibraryProbe? TryFolder(LibraryInfo info, LibrarySearchStep step, string folder, List<LibraryAttempt> attempts)
    {
        if (!Directory.Exists(folder))
        {
            attempts.Add(new(step, folder, "folder does not exist"));
            return null;
        }
        var absent = new List<string>();
        foreach (var soname in info.Sonames)
        {
            var path = Path.Combine(folder, soname);
            if (!File.Exists(path))
            {
                absent.Add(soname);
                continue;
            }
            var (handle, error) = _load(path);
            if (handle == 0)
            {
                attempts.Add(new(step, path, $"found, but failed to load: {error}"));
                continue;
            }
            if (absent.Count > 0)
                attempts.Add(new(step, folder, $"no {string.Join(", ", absent)}"));
            attempts.Add(new(step, path, "loaded"));
            LoadCompanions(info, step, folder, soname, attempts);
            return new LibraryProbe(info.Name, info.Sonames, true, path, step, attempts) { Handle = handle };
        }
        if (absent.Count > 0)
            attempts.Add(new(step, folder, $"no {string.Join(", ", absent)}"));
        return null;
    }

    private LibraryProbe? TryLoader(LibraryInfo info, List<LibraryAttempt> attempts)
    {
        foreach (var soname in info.Sonames)
        {
            var (handle, error) = _load(soname);
            if (handle != 0)
            {
                attempts.Add(new(LibrarySearchStep.SystemLoader, soname, "loaded"));
                return new LibraryProbe(info.Name, info.Sonames, true, soname, LibrarySearchStep.SystemLoader, attempts) { Handle = handle };
            }
            attempts.Add(new(LibrarySearchStep.SystemLoader, soname, $"not loaded: {error}"));
        }
        return null;
    }

    /// <summary>
    /// Loads the files that the library opens by bare name later (cuDNN's sub-libraries, NVRTC's builtins)
    /// from the folder it came from. Best effort: a companion that needs another one that is not loaded yet
    /// is retried after the others; what still fails is recorded, not thrown, because the library itself loaded.
    /// </summary>
    private void LoadCompanions(LibraryInfo info, LibrarySearchStep step, string folder, string soname, List<LibraryAttempt> attempts)
    {
        if (info.CompanionPattern is null)
            return;
        var pattern = info.CompanionPattern.Replace("{major}", MajorOf(soname), StringComparison.Ordinal);
        string[] files;
        try
        {
            files = Directory.GetFiles(folder, pattern);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            attempts.Add(new(step, Path.Combine(folder, pattern), $"companions not listed: {e.Message}"));
            return;
        }
        var pending = files.Where(f => Path.GetFileName(f) != soname).Order(StringComparer.Ordinal).ToList();
        var errors = new Dictionary<string, string?>();
        for (var progress = true; pending.Count > 0 && progress;)
        {
            progress = false;
            foreach (var file in pending.ToList())
            {
                var (handle, error) = _load(file);
                if (handle == 0)
                {
                    errors[file] = error;
                    continue;
                }
                attempts.Add(new(step, file, "companion loaded"));
                pending.Remove(file);
                progress = true;
            }
        }
        foreach (var file in pending)
            attempts.Add(new(step, file, $"companion failed to load: {errors[file]}"));
    }

    /// <summary>"libcudnn.so.9" → "9", "libnvrtc.so.11.2" → "11", "libnvrtc.so" → "*".</summary>
    internal static string MajorOf(string soname)
    {
        var at = soname.IndexOf(".so.", StringComparison.Ordinal);
        if (at < 0)
            return "*";
        var version = soname[(at + 4)..];
        var dot = version.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? version : version[..dot];
    }

    /// <summary>
    /// Step 4, in this order: CUDA toolkits (/usr/local/cuda, then /usr/local/cuda-* newest first; lib64 and
    /// targets/x86_64-linux/lib), the driver folders that the NVIDIA container toolkit mounts
    /// (/usr/local/nvidia/lib64), the distribution folders, WSL's, $CONDA_PREFIX/lib, then
    /// <c>site-packages</c>/<c>dist-packages</c> <c>nvidia/*/lib</c> (pip's nvidia-* wheels: CUDA 13 puts
    /// cuBLAS and NVRTC in <c>nvidia/cu13/lib</c>, cuDNN stays in <c>nvidia/cudnn/lib</c>) of the system,
    /// user, virtualenv, conda and pyenv Pythons, newest Python first. Only folders that exist are listed.
    /// </summary>
    public IReadOnlyList<string> KnownPlaces()
    {
        var places = new List<string>();
        var toolkits = new List<string> { Under("usr/local/cuda") };
        toolkits.AddRange(Subfolders(Under("usr/local"), "cuda-*").OrderByDescending(d => VersionAfter(Path.GetFileName(d), "cuda-")));
        foreach (var toolkit in toolkits)
        {
            places.Add(Path.Combine(toolkit, "lib64"));
            places.Add(Path.Combine(toolkit, "targets", "x86_64-linux", "lib"));
        }
        places.Add(Under("usr/local/nvidia/lib64"));
        places.Add(Under("usr/local/nvidia/lib"));
        places.Add(Under("usr/lib/x86_64-linux-gnu"));
        places.Add(Under("usr/lib64"));
        places.Add(Under("usr/lib/wsl/lib"));
        var conda = _environment("CONDA_PREFIX") is { Length: > 0 } c ? c : null;
        if (conda is not null)
            places.Add(Path.Combine(conda, "lib"));

        var pythonLibs = new List<string> { Under("usr/lib"), Under("usr/local/lib") };
        var home = _environment("HOME") is { Length: > 0 } h ? h : null;
        if (home is not null)
            pythonLibs.Add(Path.Combine(home, ".local", "lib"));
        if (_environment("VIRTUAL_ENV") is { Length: > 0 } venv)
            pythonLibs.Add(Path.Combine(venv, "lib"));
        if (conda is not null)
            pythonLibs.Add(Path.Combine(conda, "lib"));
        var pyenvRoot = _environment("PYENV_ROOT") is { Length: > 0 } p ? p : home is null ? null : Path.Combine(home, ".pyenv");
        if (pyenvRoot is not null)
        {
            pythonLibs.AddRange(Subfolders(Path.Combine(pyenvRoot, "versions"), "*")
                .OrderByDescending(v => VersionAfter(Path.GetFileName(v), ""))
                .Select(v => Path.Combine(v, "lib")));
        }
        foreach (var lib in pythonLibs)
        {
            foreach (var python in Subfolders(lib, "python3*").OrderByDescending(d => VersionAfter(Path.GetFileName(d), "python")))
            {
                foreach (var packages in new[] { "site-packages", "dist-packages" })
                {
                    foreach (var nvidiaPackage in Subfolders(Path.Combine(python, packages, "nvidia"), "*").Order(StringComparer.Ordinal))
                        places.Add(Path.Combine(nvidiaPackage, "lib"));
                }
            }
        }
        return places.Where(Directory.Exists).Distinct(StringComparer.Ordinal).ToList();
    }

    private string Under(string relative) => Path.Combine(_root, relative);

    private static string[] Subfolders(string folder, string pattern)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>"cuda-12.6" after "cuda-" → 12.6; "python3.12" after "python" → 3.12; unparsable → 0.0.</summary>
    private static Version VersionAfter(string name, string prefix)
    {
        var text = name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
        var digits = new string(text.TakeWhile(ch => char.IsAsciiDigit(ch) || ch == '.').ToArray()).Trim('.');
        if (!digits.Contains('.', StringComparison.Ordinal))
            digits += ".0";
        return Version.TryParse(digits, out var v) ? v : new Version(0, 0);
    }

    /// <summary>Loads through the runtime, keeping the loader's own error text (dlerror) for the report.</summary>
    internal static (nint Handle, string? Error) LoadWithError(string pathOrSoname)
    {
        try
        {
            return (NativeLibrary.Load(pathOrSoname), null);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return (0, LoaderError(e.Message, pathOrSoname));
        }
    }

    /// <summary>
    /// The runtime's message starts with a generic line ("Unable to load shared library … consider setting
    /// the LD_DEBUG environment variable:"); the lines after it are the loader's own errors, which are the news.
    /// </summary>
    internal static string LoaderError(string message, string pathOrSoname)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // dlerror starts with the name we asked for, which the report already shows next to it.
        return string.Join("; ", (lines.Length > 1 ? lines.Skip(1) : lines)
            .Select(l => l.StartsWith(pathOrSoname + ": ", StringComparison.Ordinal) ? l[(pathOrSoname.Length + 2)..] : l));
    }
}
