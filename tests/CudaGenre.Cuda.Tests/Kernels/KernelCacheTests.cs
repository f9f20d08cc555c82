using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Tests.Nvrtc;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Kernels;

public class KernelCacheTests
{
    private static readonly KernelTarget Target = KernelTarget.Ptx(80);

    private static string OnlyEntry(string folder) => Assert.Single(Directory.GetFiles(folder));

    [Fact]
    public void SecondCompile_IsAHit_WithTheSameImage_AndAnOptionChange_IsAMiss()
    {
        Requirements.Nvrtc();
        using var temp = new TempFolder();
        var compiler = new KernelCompiler(new KernelCache(temp.Path));

        var first = compiler.CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target);
        Assert.Equal(KernelCacheOutcome.Miss, first.CacheOutcome);
        Assert.Null(first.CacheProblem);
        var entry = OnlyEntry(temp.Path);
        Assert.Matches(@"saxpy\.compute_80\.[0-9a-f]{32}\.ptx$", entry);

        var second = compiler.CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target);
        Assert.Equal(KernelCacheOutcome.Hit, second.CacheOutcome);
        Assert.Equal(first.Image, second.Image);

        var withLineInfo = compiler.CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target, ["-lineinfo"]);
        Assert.Equal(KernelCacheOutcome.Miss, withLineInfo.CacheOutcome);
        Assert.Equal(2, Directory.GetFiles(temp.Path).Length);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp"));
    }

    [Theory]
    [InlineData("flip a byte of the image")]
    [InlineData("truncate")]
    [InlineData("foreign file")]
    [InlineData("empty file")]
    public void DamagedEntry_IsDetected_Recompiled_AndReplaced(string damage)
    {
        Requirements.Nvrtc();
        using var temp = new TempFolder();
        var compiler = new KernelCompiler(new KernelCache(temp.Path));
        var good = compiler.CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target);
        var entry = OnlyEntry(temp.Path);
        var bytes = File.ReadAllBytes(entry);
        switch (damage)
        {
            case "flip a byte of the image":
                bytes[KernelCache.HeaderBytes + bytes.Length / 2 % (bytes.Length - KernelCache.HeaderBytes)] ^= 0x20;
                break;
            case "truncate":
                bytes = bytes[..(bytes.Length - 100)];
                break;
            case "foreign file":
                bytes = new byte[bytes.Length];
                new Random(7).NextBytes(bytes);
                break;
            default:
                bytes = [];
                break;
        }
        File.WriteAllBytes(entry, bytes);

        var again = compiler.CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target);
        Assert.Equal(KernelCacheOutcome.ReplacedDamaged, again.CacheOutcome);
        Assert.Equal(good.Image, again.Image);
        Assert.Equal(KernelCacheOutcome.Hit, compiler.CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target).CacheOutcome);
    }

    [Fact]
    public void TryRead_SaysWhatIsWrong()
    {
        using var temp = new TempFolder();
        var cache = new KernelCache(temp.Path);
        var key = KernelCache.KeyOf("source", ["-arch=compute_80"], Target, (12, 8));
        Assert.Null(cache.TryRead("a.cu", Target, key, out var problem));
        Assert.Equal("absent", problem);

        cache.Write("a.cu", Target, key, [1, 2, 3, 4, 5]);
        Assert.Equal([1, 2, 3, 4, 5], cache.TryRead("a.cu", Target, key, out problem));
        Assert.Equal("", problem);

        var path = cache.PathOf("a.cu", Target, key);
        File.WriteAllBytes(path, [.. File.ReadAllBytes(path), 9]);
        Assert.Null(cache.TryRead("a.cu", Target, key, out problem));
        Assert.Equal("truncated or padded: the header declares 5 bytes of image, 6 follow", problem);

        // Same file name prefix, other key: refused (the name holds only half of the key).
        var other = key[..32] + new string('0', 32);
        cache.Write("a.cu", Target, key, [7]);
        Assert.Null(cache.TryRead("a.cu", Target, other, out problem));
        Assert.Equal("holds another key", problem);
    }

    [Fact]
    public void Key_ChangesWithEveryInput()
    {
        var options = new[] { "-arch=compute_80", "--std=c++17" };
        var key = KernelCache.KeyOf("src", options, Target, (11, 8));
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, KernelCache.KeyOf("src", options, Target, (11, 8)));
        Assert.NotEqual(key, KernelCache.KeyOf("src ", options, Target, (11, 8)));
        Assert.NotEqual(key, KernelCache.KeyOf("src", [.. options, "-lineinfo"], Target, (11, 8)));
        Assert.NotEqual(key, KernelCache.KeyOf("src", options, KernelTarget.Cubin(80), (11, 8)));
        Assert.NotEqual(key, KernelCache.KeyOf("src", options, Target, (13, 0)));
        // Option boundaries count: ["ab", "c"] is not ["a", "bc"].
        Assert.NotEqual(KernelCache.KeyOf("s", ["ab", "c"], Target, (1, 0)), KernelCache.KeyOf("s", ["a", "bc"], Target, (1, 0)));
    }

    [Fact]
    public void UnwritableCache_StillCompiles_AndSaysWhy()
    {
        Requirements.Nvrtc();
        using var temp = new TempFolder();
        var blocker = temp.File("not-a-folder");
        File.WriteAllText(blocker, "a file where the cache folder should be");
        var compiled = new KernelCompiler(new KernelCache(blocker)).CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, Target);
        Assert.Equal(KernelCacheOutcome.Miss, compiled.CacheOutcome);
        Assert.NotEmpty(compiled.Image);
        Assert.StartsWith($"could not write {blocker}/saxpy.compute_80.", compiled.CacheProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultDirectory_FollowsTheEnvironment()
    {
        static Func<string, string?> Env(params (string, string)[] values) => name => values.FirstOrDefault(v => v.Item1 == name).Item2;
        Assert.Equal("/tmp/cg", KernelCache.DefaultDirectory(Env(("CUDAGENRE_CACHE_DIR", "/tmp/cg"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h"))));
        Assert.Equal("/x/cudagenre/kernels", KernelCache.DefaultDirectory(Env(("XDG_CACHE_HOME", "/x"), ("HOME", "/h"))));
        Assert.Equal("/h/.cache/cudagenre/kernels", KernelCache.DefaultDirectory(Env(("XDG_CACHE_HOME", "relative"), ("HOME", "/h"))));
        Assert.Equal("/h/.cache/cudagenre/kernels", KernelCache.DefaultDirectory(Env(("HOME", "/h"))));
    }
}
