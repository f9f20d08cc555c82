using CudaGenre.Trainer.Build;

namespace CudaGenre.Trainer.Tests;

public sealed partial class ElfSymbolVersionsTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void The_pristine_library_needs_the_version_strongly()
    {
        var needs = ElfSymbolVersions.ReadNeeds(TestPaths.PristineLibTorchSharp);
        var need = Assert.Single(needs, n => n.Version == Version);
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.False(need.IsWeak);
        // Sanity of the parse: the library also needs glibc versions, none weak.
        Assert.Contains(needs, n => n.Library == "libc.so.6" && n.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal));
    }

    [Fact]
    public void Weakening_changes_exactly_that_flag_and_is_idempotent()
    {
        using var temp = new TempFolder();
        var copy = temp.File("libLibTorchSharp.so");
        File.Copy(TestPaths.PristineLibTorchSharp, copy);
        var before = File.ReadAllBytes(copy);
        var needsBefore = ElfSymbolVersions.ReadNeeds(copy);

        Assert.Equal(WeakenResult.Patched, ElfSymbolVersions.MakeVersionNeedWeak(copy, Version));

        var after = File.ReadAllBytes(copy);
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        var need = needsBefore.Single(n => n.Version == Version);
        // vna_flags is 2 bytes little-endian; VER_FLG_WEAK (2) lives in the low byte.
        Assert.Equal([need.FlagsOffset], changed.Select(i => (long)i));
        Assert.Equal(before[need.FlagsOffset] | 2, after[need.FlagsOffset]);
        var needsAfter = ElfSymbolVersions.ReadNeeds(copy);
        Assert.True(needsAfter.Single(n => n.Version == Version).IsWeak);
        Assert.All(needsAfter.Where(n => n.Version != Version), n => Assert.Equal(needsBefore.Single(b => b.Version == n.Version && b.Library == n.Library).Flags, n.Flags));

        Assert.Equal(WeakenResult.AlreadyWeak, ElfSymbolVersions.MakeVersionNeedWeak(copy, Version));
        Assert.Equal(after, File.ReadAllBytes(copy));
        Assert.Equal(WeakenResult.NotNeeded, ElfSymbolVersions.MakeVersionNeedWeak(copy, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void Patching_replaces_the_file_so_hard_links_keep_the_original()
    {
        using var temp = new TempFolder();
        var original = temp.File("original.so");
        var link = temp.File("link.so");
        File.Copy(TestPaths.PristineLibTorchSharp, original);
        if (!TryHardLink(original, link))
            Assert.Skip("Hard links cannot be made in the temp folder here.");
        ElfSymbolVersions.MakeVersionNeedWeak(link, Version);
        Assert.False(ElfSymbolVersions.ReadNeeds(original).Single(n => n.Version == Version).IsWeak);
        Assert.True(ElfSymbolVersions.ReadNeeds(link).Single(n => n.Version == Version).IsWeak);
    }

    [Fact]
    public void A_non_elf_file_is_refused_clearly()
    {
        using var temp = new TempFolder();
        var path = temp.File("not-a-library.so");
        File.WriteAllText(path, "This is a text file, long enough to hold an ELF header of sixty-four bytes or more.");
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.MakeVersionNeedWeak(path, Version));
        Assert.Contains("not an ELF file", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal("This is a text file", File.ReadAllText(path)[..19]);
    }

    [Fact]
    public void A_truncated_library_is_refused_clearly()
    {
        using var temp = new TempFolder();
        var path = temp.File("cut.so");
        var bytes = File.ReadAllBytes(TestPaths.PristineLibTorchSharp);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadNeeds(path));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_system_libstdcxx_definitions_are_read()
    {
        var (path, _) = ElfSymbolVersions.SystemLibStdCxxDefines(Version);
        if (path is null)
            Assert.Skip("No libstdc++.so.6 in the usual library folders.");
        var definitions = ElfSymbolVersions.ReadDefinitions(path);
        Assert.Contains("GLIBCXX_3.4", definitions);
        Assert.Contains("CXXABI_1.3", definitions);
    }

    [Fact]
    public void The_build_patched_the_copy_in_the_test_output_when_the_system_needs_it()
    {
        var copy = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(copy))
            Assert.Skip($"No libLibTorchSharp.so at {copy}.");
        var (_, defines) = ElfSymbolVersions.SystemLibStdCxxDefines(Version);
        var weak = ElfSymbolVersions.ReadNeeds(copy).Single(n => n.Version == Version).IsWeak;
        Assert.Equal(!defines, weak);
        // The NuGet cache is never patched.
        Assert.False(ElfSymbolVersions.ReadNeeds(TestPaths.PristineLibTorchSharp).Single(n => n.Version == Version).IsWeak);
    }

    private static bool TryHardLink(string existing, string link)
    {
        try
        {
            return Link(existing, link) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "link", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int Link(string oldpath, string newpath);
}
