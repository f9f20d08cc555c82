// This one file is compiled twice: into the trainer (so tests can call it) and, by MSBuild's
// RoslynCodeTaskFactory, into the build task below that patches libLibTorchSharp.so in the build output.
// The task part needs Microsoft.Build.Utilities, which the trainer does not reference, hence the #if.
#nullable enable
#pragma warning disable IDE0005 // The inline task is compiled without the project's implicit usings.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
#pragma warning restore IDE0005

namespace CudaGenre.Trainer.Build;

/// <summary>What <see cref="ElfSymbolVersions.MakeVersionNeedWeak"/> did.</summary>
public enum WeakenResult
{
    /// <summary>The entry was found and its VER_FLG_WEAK flag set.</summary>
    Patched,

    /// <summary>The entry was already weak; the file was not rewritten.</summary>
    AlreadyWeak,

    /// <summary>The file does not need that version at all; nothing to do.</summary>
    NotNeeded,
}

/// <summary>One required symbol version of an ELF file (a <c>Vernaux</c> entry of <c>.gnu.version_r</c>).</summary>
/// <remarks>A class, not a record: the MSBuild inline task compiles against a framework without init accessors.</remarks>
public sealed class VersionNeed
{
    /// <summary>Creates the description of one entry.</summary>
    public VersionNeed(string library, string version, ushort flags, long flagsOffset)
    {
        Library = library;
        Version = version;
        Flags = flags;
        FlagsOffset = flagsOffset;
    }

    /// <summary>The library that must provide it, e.g. <c>libstdc++.so.6</c>.</summary>
    public string Library { get; }

    /// <summary>The version name, e.g. <c>GLIBCXX_3.4.32</c>.</summary>
    public string Version { get; }

    /// <summary>The entry's <c>vna_flags</c> (2 = VER_FLG_WEAK: a missing version is only a warning).</summary>
    public ushort Flags { get; }

    /// <summary>File offset of <c>vna_flags</c> (2 bytes, little-endian).</summary>
    public long FlagsOffset { get; }

    /// <summary>True when the loader tolerates the version's absence.</summary>
    public bool IsWeak => (Flags & ElfSymbolVersions.VerFlagWeak) != 0;

    /// <inheritdoc />
    public override string ToString() => $"{Library} {Version} flags {Flags}";
}

/// <summary>
/// Reads and patches the GNU symbol-version sections of 64-bit little-endian ELF shared libraries.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> declares a need for <c>GLIBCXX_3.4.32</c>
/// (libstdc++ of GCC 13), but Debian 12 ships libstdc++ up to <c>GLIBCXX_3.4.30</c>, so the loader refuses
/// the library. The only symbol bound to that version is <c>std::ios_base_library_init()</c>, which nothing
/// relocates against; marking the need weak (<c>VER_FLG_WEAK</c>) turns the hard failure into nothing.
/// Layouts are those of glibc's <c>elf.h</c>: <c>Elf64_Shdr</c>, <c>Elf64_Verneed</c>, <c>Elf64_Vernaux</c>,
/// <c>Elf64_Verdef</c>, <c>Elf64_Verdaux</c>.
/// </remarks>
public static class ElfSymbolVersions
{
    /// <summary><c>VER_FLG_WEAK</c> from <c>elf.h</c>.</summary>
    public const ushort VerFlagWeak = 2;

    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private static readonly char[] PathSeparators = [':'];

    /// <summary>Lists every required symbol version (<c>.gnu.version_r</c>) of the ELF file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF file, or its version sections are malformed.</exception>
    public static IReadOnlyList<VersionNeed> ReadNeeds(string path)
    {
        var elf = File.ReadAllBytes(path);
        var needs = new List<VersionNeed>();
        foreach (var section in Sections(elf, path))
        {
            if (section.Type != ShtGnuVerneed)
                continue;
            var strings = StringTable(elf, path, section.Link);
            long entry = section.Offset;
            for (var i = 0; i < section.Info; i++)
            {
                Check(elf, path, entry, 16, "Verneed entry");
                var count = U16(elf, entry + 2);
                var file = Name(elf, path, strings, U32(elf, entry + 4));
                long aux = entry + U32(elf, entry + 8);
                for (var j = 0; j < count; j++)
                {
                    Check(elf, path, aux, 16, "Vernaux entry");
                    needs.Add(new VersionNeed(file, Name(elf, path, strings, U32(elf, aux + 8)), U16(elf, aux + 4), aux + 4));
                    var nextAux = U32(elf, aux + 12);
                    if (nextAux == 0)
                        break;
                    aux += nextAux;
                }

                var next = U32(elf, entry + 12);
                if (next == 0)
                    break;
                entry += next;
            }
        }

        return needs;
    }

    /// <summary>Lists the symbol versions the ELF file defines (<c>.gnu.version_d</c>), e.g. <c>GLIBCXX_3.4.30</c> for libstdc++.</summary>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF file, or its version sections are malformed.</exception>
    public static IReadOnlyList<string> ReadDefinitions(string path)
    {
        var elf = File.ReadAllBytes(path);
        var names = new List<string>();
        foreach (var section in Sections(elf, path))
        {
            if (section.Type != ShtGnuVerdef)
                continue;
            var strings = StringTable(elf, path, section.Link);
            long entry = section.Offset;
            for (var i = 0; i < section.Info; i++)
            {
                Check(elf, path, entry, 20, "Verdef entry");
                // The first Verdaux holds the version's own name; later ones name its parents.
                if (U16(elf, entry + 6) > 0)
                {
                    long aux = entry + U32(elf, entry + 12);
                    Check(elf, path, aux, 8, "Verdaux entry");
                    names.Add(Name(elf, path, strings, U32(elf, aux)));
                }

                var next = U32(elf, entry + 16);
                if (next == 0)
                    break;
                entry += next;
            }
        }

        return names;
    }

    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on every need for <paramref name="version"/> in the ELF file at
    /// <paramref name="path"/>. The file is rewritten through a temporary file and a rename, so a hard link
    /// to it (e.g. into the NuGet cache) is never modified, and a crash leaves the old file intact.
    /// Running it again is harmless (<see cref="WeakenResult.AlreadyWeak"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF file, or its version sections are malformed.</exception>
    public static WeakenResult MakeVersionNeedWeak(string path, string version)
    {
        var matching = ReadNeeds(path).Where(n => n.Version == version).ToList();
        if (matching.Count == 0)
            return WeakenResult.NotNeeded;
        if (matching.TrueForAll(n => n.IsWeak))
            return WeakenResult.AlreadyWeak;
        var elf = File.ReadAllBytes(path);
        foreach (var need in matching)
        {
            var flags = (ushort)(need.Flags | VerFlagWeak);
            elf[need.FlagsOffset] = (byte)flags;
            elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
        }

        var temporary = path + ".patching";
        File.WriteAllBytes(temporary, elf);
        // A rename (netstandard2.0 has no File.Move overwrite, which the inline task compiles against).
        File.Replace(temporary, path, null);
        return WeakenResult.Patched;
    }

    /// <summary>
    /// Finds the libstdc++ the dynamic loader would use and says whether it defines <paramref name="version"/>.
    /// Looks in <c>LD_LIBRARY_PATH</c>, then the usual system library folders.
    /// </summary>
    /// <returns>The path of the libstdc++ found (null if none) and whether it defines the version.</returns>
    public static (string? Path, bool Defines) SystemLibStdCxxDefines(string version)
    {
        var folders = new List<string>();
        var ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldPath))
            folders.AddRange(ldPath.Split(PathSeparators, StringSplitOptions.RemoveEmptyEntries));
        folders.AddRange(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]);
        foreach (var folder in folders)
        {
            var candidate = System.IO.Path.Combine(folder, "libstdc++.so.6");
            if (!File.Exists(candidate))
                continue;
            try
            {
                return (candidate, ReadDefinitions(candidate).Contains(version));
            }
            catch (InvalidDataException)
            {
                // A foreign-architecture or odd file: the loader would skip it too.
            }
        }

        return (null, false);
    }

    private readonly struct Section
    {
        public Section(uint type, long offset, long size, uint link, uint info)
        {
            Type = type;
            Offset = offset;
            Size = size;
            Link = link;
            Info = info;
        }

        public uint Type { get; }

        public long Offset { get; }

        public long Size { get; }

        public uint Link { get; }

        public uint Info { get; }
    }

    private static List<Section> Sections(byte[] elf, string path)
    {
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file (it does not start with 7F 'E' 'L' 'F').");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path}: only 64-bit little-endian ELF files are supported (class {elf[4]}, data encoding {elf[5]}).");
        var sectionTable = (long)U64(elf, 0x28);
        var entrySize = U16(elf, 0x3A);
        var count = U16(elf, 0x3C);
        if (entrySize < 64 || sectionTable <= 0 || sectionTable + ((long)entrySize * count) > elf.Length)
            throw new InvalidDataException($"{path}: truncated or malformed ELF file (section header table at {sectionTable}, {count} entries of {entrySize} bytes, file has {elf.Length} bytes).");
        var sections = new List<Section>(count);
        for (var i = 0; i < count; i++)
        {
            long h = sectionTable + ((long)i * entrySize);
            sections.Add(new Section(U32(elf, h + 4), (long)U64(elf, h + 24), (long)U64(elf, h + 32), U32(elf, h + 40), U32(elf, h + 44)));
        }

        foreach (var s in sections)
        {
            if ((s.Type == ShtGnuVerneed || s.Type == ShtGnuVerdef) && (s.Offset < 0 || s.Offset + s.Size > elf.Length))
                throw new InvalidDataException($"{path}: truncated ELF file (a version section ends at {s.Offset + s.Size}, the file has {elf.Length} bytes).");
        }

        return sections;
    }

    private static Section StringTable(byte[] elf, string path, uint index)
    {
        var sections = Sections(elf, path);
        if (index >= sections.Count)
            throw new InvalidDataException($"{path}: a version section links to string table {index}, but there are only {sections.Count} sections.");
        var table = sections[(int)index];
        if (table.Offset + table.Size > elf.Length)
            throw new InvalidDataException($"{path}: truncated ELF file (the string table ends past the end of the file).");
        return table;
    }

    private static string Name(byte[] elf, string path, Section strings, uint offset)
    {
        long start = strings.Offset + offset;
        var end = start;
        while (end < strings.Offset + strings.Size && elf[end] != 0)
            end++;
        if (end >= strings.Offset + strings.Size)
            throw new InvalidDataException($"{path}: a version name at string offset {offset} runs past its string table.");
        return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
    }

    private static void Check(byte[] elf, string path, long offset, int size, string what)
    {
        if (offset < 0 || offset + size > elf.Length)
            throw new InvalidDataException($"{path}: truncated or malformed ELF file (a {what} at {offset} lies past the end of the file).");
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));

    private static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));

    private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);
}

#if !CUDAGENRE_TRAINER
/// <summary>
/// MSBuild task: when the system libstdc++ lacks <see cref="Version"/>, marks that version need weak in
/// each of <see cref="Libraries"/> (copies in the build or publish output, never the NuGet cache).
/// </summary>
public sealed class WeakenLibStdCxxVersion : Microsoft.Build.Utilities.Task
{
    /// <summary>The library copies to patch (missing ones are skipped).</summary>
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = [];

    /// <summary>The symbol version to weaken, e.g. GLIBCXX_3.4.32.</summary>
    [Microsoft.Build.Framework.Required]
    public string Version { get; set; } = "";

    /// <inheritdoc />
    public override bool Execute()
    {
        var (libstdcxx, defines) = ElfSymbolVersions.SystemLibStdCxxDefines(Version);
        if (defines)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{libstdcxx} defines {Version}; libLibTorchSharp.so left as it is.");
            return true;
        }

        foreach (var item in Libraries)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path))
                continue;
            try
            {
                var result = ElfSymbolVersions.MakeVersionNeedWeak(path, Version);
                Log.LogMessage(
                    result == WeakenResult.Patched ? Microsoft.Build.Framework.MessageImportance.High : Microsoft.Build.Framework.MessageImportance.Low,
                    $"{path}: {Version} need {(result == WeakenResult.Patched ? "marked weak" : result == WeakenResult.AlreadyWeak ? "already weak" : "not present")} (system libstdc++: {libstdcxx ?? "not found"}, lacks {Version}).");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"Cannot patch {path} for the missing {Version}: {e.Message}");
            }
        }

        return !Log.HasLoggedErrors;
    }
}
#endif
