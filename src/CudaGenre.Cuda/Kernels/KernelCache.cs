using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CudaGenre.Cuda.Kernels;

/// <summary>What the cache did for one compilation.</summary>
public enum KernelCacheOutcome
{
    /// <summary>No cache was used.</summary>
    Disabled,

    /// <summary>The image came from the cache; NVRTC did not run.</summary>
    Hit,

    /// <summary>Not in the cache: compiled, then stored.</summary>
    Miss,

    /// <summary>The cache entry was damaged (truncated, foreign, wrong checksum): compiled again and replaced.</summary>
    ReplacedDamaged,
}

/// <summary>
/// Compiled kernel images on disk, one file per (source text, options, target, NVRTC version), named by the
/// SHA-256 of those. Each file carries a header with the key, the payload length and the payload's SHA-256,
/// so a truncated, damaged or foreign file is detected and compiled again. Files are written to a temp file
/// and renamed into place, so a reader never sees half a file, even with several processes.
/// </summary>
public sealed class KernelCache
{
    /// <summary>The environment variable naming the kernel cache folder itself.</summary>
    public const string DirectoryVariable = "CUDAGENRE_CACHE_DIR";

    /// <summary>Bytes before the payload: magic 8, format version 4, key 32, payload length 8, payload SHA-256 32.</summary>
    internal const int HeaderBytes = 8 + 4 + 32 + 8 + 32;

    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "CGKCACHE"u8;

    /// <summary>Uses <paramref name="directory"/> (created on the first write).</summary>
    public KernelCache(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>The cache at <see cref="DefaultDirectory"/>.</summary>
    public static KernelCache OpenDefault() => new(DefaultDirectory());

    /// <summary>
    /// <c>$CUDAGENRE_CACHE_DIR</c> when set; else <c>$XDG_CACHE_HOME/cudagenre/kernels</c>; else
    /// <c>~/.cache/cudagenre/kernels</c>.
    /// </summary>
    /// <param name="environment">Reads an environment variable (null = the real environment).</param>
    public static string DefaultDirectory(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(DirectoryVariable) is { Length: > 0 } explicitDirectory)
            return explicitDirectory;
        // The XDG base-directory spec says a relative XDG_CACHE_HOME is to be ignored.
        if (environment("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "cudagenre", "kernels");
        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "cudagenre", "kernels");
    }

    /// <summary>The cache key: SHA-256 (hex) over the source text, every option, the target and the NVRTC version.</summary>
    public static string KeyOf(string source, IReadOnlyList<string> options, KernelTarget target, (int Major, int Minor) nvrtcVersion)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        text.Append($"cudagenre kernel cache {FormatVersion}\0nvrtc {nvrtcVersion.Major}.{nvrtcVersion.Minor}\0target {target}\0");
        foreach (var option in options)
            text.Append($"option {option.Length}:{option}\0");
        text.Append($"source {source.Length}:").Append(source);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The file for an entry: "&lt;source&gt;.&lt;target&gt;.&lt;key prefix&gt;.ptx|cubin".</summary>
    public string PathOf(string sourceName, KernelTarget target, string key)
    {
        var stem = new string(Path.GetFileNameWithoutExtension(sourceName).Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray());
        var extension = target.Kind == KernelImageKind.Ptx ? "ptx" : "cubin";
        return Path.Combine(Directory, $"{stem}.{target}.{key[..32]}.{extension}");
    }

    /// <summary>Reads the entry for (source, target, key). Returns the image, or null with a reason ("absent", or what is wrong with the file).</summary>
    public byte[]? TryRead(string sourceName, KernelTarget target, string key, out string problem)
    {
        var path = PathOf(sourceName, target, key);
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = "absent";
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"unreadable: {e.Message}";
            return null;
        }
        problem = Validate(file, key);
        return problem.Length == 0 ? file[HeaderBytes..] : null;
    }

    /// <summary>Writes the entry for (source, target, key) atomically (temp file in the same folder, then rename).</summary>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write there.</exception>
    public void Write(string sourceName, KernelTarget target, string key, ReadOnlySpan<byte> image)
    {
        var path = PathOf(sourceName, target, key);
        System.IO.Directory.CreateDirectory(Directory);
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        Convert.FromHexString(key).CopyTo(header.AsSpan(12));
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(44), image.Length);
        SHA256.HashData(image, header.AsSpan(52));
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(header);
                stream.Write(image);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>"" when the file is a whole entry for <paramref name="key"/>, else what is wrong.</summary>
    private static string Validate(byte[] file, string key)
    {
        if (file.Length < HeaderBytes)
            return $"truncated: {file.Length} bytes, shorter than the {HeaderBytes}-byte header";
        var span = file.AsSpan();
        if (!span[..8].SequenceEqual(Magic))
            return "not a CudaGenre kernel cache file (wrong magic)";
        if (BinaryPrimitives.ReadInt32LittleEndian(span[8..]) is var version && version != FormatVersion)
            return $"cache format {version}, expected {FormatVersion}";
        if (!span.Slice(12, 32).SequenceEqual(Convert.FromHexString(key)))
            return "holds another key";
        var length = BinaryPrimitives.ReadInt64LittleEndian(span[44..]);
        if (length != file.Length - HeaderBytes)
            return $"truncated or padded: the header declares {length} bytes of image, {file.Length - HeaderBytes} follow";
        if (!SHA256.HashData(span[HeaderBytes..]).AsSpan().SequenceEqual(span.Slice(52, 32)))
            return "damaged: the image does not match its SHA-256";
        return "";
    }
}
