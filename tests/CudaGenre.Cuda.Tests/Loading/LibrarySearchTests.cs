using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Tests.Loading;

public class LibrarySearchTests
{
    /// <summary>A real, loadable shared library on every glibc system, copied under CUDA sonames.</summary>
    private static readonly string Zlib = new[] { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib64/libz.so.1", "/lib64/libz.so.1" }
        .FirstOrDefault(File.Exists) ?? "";

    /// <summary>A fake loader: a file "loads" when it contains "ok"; bare sonames load only when listed.</summary>
    private sealed class FakeLoader(params string[] loaderSonames)
    {
        public List<string> Calls { get; } = [];

        public (nint, string?) Load(string pathOrSoname)
        {
            Calls.Add(pathOrSoname);
            if (!pathOrSoname.Contains('/', StringComparison.Ordinal))
                return loaderSonames.Contains(pathOrSoname) ? (0x1000 + Calls.Count, null) : (0, "cannot open shared object file: No such file or directory");
            return File.ReadAllText(pathOrSoname) == "ok" ? (0x1000 + Calls.Count, null) : (0, "invalid ELF header");
        }
    }

    private static void Fake(string folder, string soname, string content = "ok")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, soname), content);
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void SearchOrder_ExplicitFolders_ThenEnvironment_ThenLoader_ThenKnownPlaces()
    {
        using var temp = new TempFolder();
        var root = temp.Folder("root");
        var explicitFolder = temp.File("explicit");
        var envFolder = temp.File("env");
        var toolkit = Path.Combine(root, "usr", "local", "cuda", "lib64");
        foreach (var folder in new[] { explicitFolder, envFolder, toolkit })
            Fake(folder, "libcudnn.so.9");
        var loader = new FakeLoader("libcudnn.so.9");
        var env = Env((NativeLibraries.PathVariable, envFolder));

        LibraryProbe ProbeWith(string? explicitFolders, bool useLoader) =>
            new LibrarySearch(explicitFolders, env, root, useLoader, loader.Load).Probe(NativeLibraryNames.Cudnn);

        var first = ProbeWith(temp.File("missing") + ":" + explicitFolder, useLoader: true);
        Assert.Equal((true, LibrarySearchStep.SearchPath, Path.Combine(explicitFolder, "libcudnn.so.9")), (first.Found, first.FoundBy, first.Path));
        Assert.Contains(first.Attempts, a => a.Place == temp.File("missing") && a.Outcome == "folder does not exist");

        var second = ProbeWith(null, useLoader: true);
        Assert.Equal((LibrarySearchStep.EnvironmentVariable, Path.Combine(envFolder, "libcudnn.so.9")), (second.FoundBy, second.Path));
        Assert.Contains(second.Attempts, a => a is { Step: LibrarySearchStep.SearchPath, Outcome: "not set" });

        File.Delete(Path.Combine(envFolder, "libcudnn.so.9"));
        var third = ProbeWith(null, useLoader: true);
        Assert.Equal((LibrarySearchStep.SystemLoader, "libcudnn.so.9"), (third.FoundBy, third.Path));
        Assert.Contains(third.Attempts, a => a.Place == envFolder && a.Outcome == "no libcudnn.so.9, libcudnn.so.8");

        var fourth = ProbeWith(null, useLoader: false);
        Assert.Equal((LibrarySearchStep.KnownPlace, Path.Combine(toolkit, "libcudnn.so.9")), (fourth.FoundBy, fourth.Path));
        Assert.NotEqual(0, fourth.Handle);
    }

    [Fact]
    public void WithinAFolder_TheNewestSonameWins_AndAFileThatFailsToLoad_IsReported_AndSkipped()
    {
        using var temp = new TempFolder();
        var folder = temp.File("libs");
        Fake(folder, "libcublas.so.13", "garbage");
        Fake(folder, "libcublas.so.12");
        Fake(folder, "libcublas.so.11");
        var probe = new LibrarySearch(folder, Env(), temp.Path, useLoader: false, new FakeLoader().Load).Probe(NativeLibraryNames.Cublas);
        Assert.Equal(Path.Combine(folder, "libcublas.so.12"), probe.Path);
        Assert.Contains(probe.Attempts, a => a.Place == Path.Combine(folder, "libcublas.so.13") && a.Outcome == "found, but failed to load: invalid ELF header");
    }

    [Fact]
    public void RealLoader_SkipsAFakeLibrary_AndLoadsARealOneCopiedUnderACudaSoname()
    {
        Assert.SkipWhen(Zlib.Length == 0, "no libz.so.1 on this machine to copy");
        using var temp = new TempFolder();
        var broken = temp.Folder("broken");
        var good = temp.Folder("good");
        File.WriteAllBytes(Path.Combine(broken, "libcublasLt.so.13"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
        File.Copy(Zlib, Path.Combine(good, "libcublasLt.so.12"));

        var probe = new LibrarySearch($"{broken}:{good}", Env(), temp.Path, useLoader: false).Probe(NativeLibraryNames.CublasLt);

        Assert.True(probe.Found, string.Join("\n", probe.Attempts));
        Assert.Equal(Path.Combine(good, "libcublasLt.so.12"), probe.Path);
        var brokenAttempt = Assert.Single(probe.Attempts, a => a.Place == Path.Combine(broken, "libcublasLt.so.13"));
        Assert.StartsWith("found, but failed to load: ", brokenAttempt.Outcome, StringComparison.Ordinal);
        Assert.Contains("file too short", brokenAttempt.Outcome, StringComparison.Ordinal);
        // The handle is the copy: it has zlib's exports, and the loader maps it from the copied path.
        Assert.True(NativeLibrary.TryGetExport(probe.Handle, "zlibVersion", out var export));
        Assert.Equal(Path.Combine(good, "libcublasLt.so.12"), LoadedFile.PathOf(export));
    }

    [Fact]
    public void KnownPlaces_FindPipWheelsOfEveryPython_NewestFirst_AndToolkitsNewestFirst()
    {
        using var temp = new TempFolder();
        var root = temp.Folder("root");
        var home = temp.Folder("home");
        var venv = temp.Folder("venv");
        var conda = temp.Folder("conda");
        var pyenv = temp.Folder("pyenv");
        string Make(params string[] parts) => temp.Folder(parts);

        var cuda126 = Make("root", "usr", "local", "cuda-12.6", "lib64");
        var cuda130 = Make("root", "usr", "local", "cuda-13.0", "targets", "x86_64-linux", "lib");
        var cuda92 = Make("root", "usr", "local", "cuda-9.2", "lib64");
        var system39 = Make("root", "usr", "lib", "python3.9", "site-packages", "nvidia", "cublas", "lib");
        var system312 = Make("root", "usr", "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib");
        var debian = Make("root", "usr", "lib", "python3", "dist-packages", "nvidia", "cudnn", "lib");
        var local = Make("root", "usr", "local", "lib", "python3.11", "dist-packages", "nvidia", "cuda_nvrtc", "lib");
        var user = Make("home", ".local", "lib", "python3.10", "site-packages", "nvidia", "cudnn", "lib");
        var virtualEnv = Make("venv", "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib");
        var condaLib = Make("conda", "lib");
        var condaWheel = Make("conda", "lib", "python3.11", "site-packages", "nvidia", "cudnn", "lib");
        var pyenvWheel = Make("pyenv", "versions", "3.12.4", "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib");
        Make("root", "usr", "lib", "python3.12", "site-packages", "nvidia", "no_lib_folder");

        var env = Env(("HOME", home), ("VIRTUAL_ENV", venv), ("CONDA_PREFIX", conda), ("PYENV_ROOT", pyenv));
        var places = new LibrarySearch(null, env, root, useLoader: false).KnownPlaces();

        Assert.Equal(
            [cuda130, cuda126, cuda92, condaLib, system312, system39, debian, local, user, virtualEnv, condaWheel, pyenvWheel],
            places);

        Fake(user, "libcudnn.so.9");
        var probe = new LibrarySearch(null, env, root, useLoader: false, new FakeLoader().Load).Probe(NativeLibraryNames.Cudnn);
        Assert.Equal((LibrarySearchStep.KnownPlace, Path.Combine(user, "libcudnn.so.9")), (probe.FoundBy, probe.Path));
        Assert.Contains(probe.Attempts, a => a.Place == debian && a.Outcome == "no libcudnn.so.9, libcudnn.so.8");
    }

    [Fact]
    public void Companions_OfCudnn_AreLoadedFromItsFolder_RetryingUntilTheirDependenciesAreIn()
    {
        using var temp = new TempFolder();
        var folder = temp.File("cudnn");
        foreach (var file in new[] { "libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_ops.so.8" })
            Fake(folder, file);
        var loaded = new List<string>();
        // cnn and ops need graph (which sorts after them): they fail until graph is in.
        (nint, string?) Load(string path)
        {
            var name = Path.GetFileName(path);
            if (name is "libcudnn_cnn.so.9" or "libcudnn_ops.so.9" && !loaded.Contains("libcudnn_graph.so.9"))
                return (0, "libcudnn_graph.so.9: cannot open shared object file");
            loaded.Add(name);
            return (0x2000 + loaded.Count, null);
        }

        var probe = new LibrarySearch(folder, Env(), temp.Path, useLoader: false, Load).Probe(NativeLibraryNames.Cudnn);

        // Sorted: cnn (fails, graph not in yet), graph, ops (graph is in now); second round: cnn.
        Assert.Equal(["libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9"], loaded);
        Assert.Equal(3, probe.Attempts.Count(a => a.Outcome == "companion loaded"));
        Assert.DoesNotContain(probe.Attempts, a => a.Place.EndsWith(".so.8", StringComparison.Ordinal));
    }

    [Fact]
    public void Companions_ThatNeverLoad_AreReported_ButTheLibraryStillCounts()
    {
        using var temp = new TempFolder();
        var folder = temp.File("nvrtc");
        Fake(folder, "libnvrtc.so.13");
        Fake(folder, "libnvrtc-builtins.so.13.0", "garbage");
        var probe = new LibrarySearch(folder, Env(), temp.Path, useLoader: false, new FakeLoader().Load).Probe(NativeLibraryNames.Nvrtc);
        Assert.True(probe.Found);
        Assert.Contains(probe.Attempts, a => a.Place == Path.Combine(folder, "libnvrtc-builtins.so.13.0") && a.Outcome == "companion failed to load: invalid ELF header");
    }

    [Fact]
    public void NotFound_GivesAnExceptionThatSaysWhatWhereAndHowToFix()
    {
        using var temp = new TempFolder();
        var empty = temp.Folder("empty");
        var toolkit = temp.Folder("root", "usr", "local", "cuda", "lib64");
        var probe = new LibrarySearch(empty, Env((NativeLibraries.PathVariable, temp.File("nowhere"))), temp.File("root"), useLoader: true, new FakeLoader().Load)
            .Probe(NativeLibraryNames.Cudnn);
        Assert.False(probe.Found);

        var e = new CudaLibraryNotFoundException(probe);
        Assert.IsAssignableFrom<CudaException>(e);
        Assert.Equal("cudnn", e.Library);
        Assert.Equal(["libcudnn.so.9", "libcudnn.so.8"], e.Sonames);
        var lines = e.Message.Split('\n');
        Assert.Equal("cuDNN ('cudnn') could not be loaded. Tried libcudnn.so.9, libcudnn.so.8, in this order:", lines[0]);
        Assert.Equal(
            [
                $"  {empty} (NativeLibraries.SearchPath): no libcudnn.so.9, libcudnn.so.8",
                $"  {temp.File("nowhere")} (CUDAGENRE_CUDA_LIB_PATH): folder does not exist",
                "  libcudnn.so.9 (system loader): not loaded: cannot open shared object file: No such file or directory",
                "  libcudnn.so.8 (system loader): not loaded: cannot open shared object file: No such file or directory",
                $"  {toolkit} (known place): no libcudnn.so.9, libcudnn.so.8",
            ],
            lines[1..6]);
        Assert.StartsWith("To fix: install cuDNN 9", lines[6], StringComparison.Ordinal);
        Assert.Contains("set CUDAGENRE_CUDA_LIB_PATH to that folder", lines[6], StringComparison.Ordinal);
    }

    [Fact]
    public void NothingAnywhere_SaysWhichKnownPlacesWereLookedFor()
    {
        using var temp = new TempFolder();
        var probe = new LibrarySearch(null, Env(), temp.Path, useLoader: false).Probe(NativeLibraryNames.Driver);
        var last = probe.Attempts[^1];
        Assert.Equal(LibrarySearchStep.KnownPlace, last.Step);
        Assert.StartsWith("none exists here (looked for /usr/local/cuda*/lib64", last.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownLogicalName_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new LibrarySearch(useLoader: false).Probe("cufft"));
        Assert.Contains("cuda, nvrtc, cublasLt, cublas, cudnn", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("libcudnn.so.9", "9")]
    [InlineData("libnvrtc.so.11.2", "11")]
    [InlineData("libcublasLt.so.13", "13")]
    [InlineData("libnvrtc.so", "*")]
    public void MajorOf_ReadsTheSonameVersion(string soname, string major) => Assert.Equal(major, LibrarySearch.MajorOf(soname));

    [Fact]
    public void LoaderError_KeepsTheLoadersOwnLines_WithoutTheRuntimesPreamble()
    {
        var message = "Unable to load shared library '/x/libcuda.so.1' or one of its dependencies. In order to help diagnose loading problems, " +
            "consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" +
            "/x/libcuda.so.1: invalid ELF header\n";
        Assert.Equal("invalid ELF header", LibrarySearch.LoaderError(message, "/x/libcuda.so.1"));
        Assert.Equal("something odd", LibrarySearch.LoaderError("something odd", "libcuda.so.1"));
    }
}
