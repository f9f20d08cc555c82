using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CudaGenre.Core.Audio;

/// <summary>
/// Decodes what the built-in readers do not (FLAC, Opus, AAC/M4A, AIFF, WMA…) with an installed <c>ffmpeg</c>
/// (found on PATH, or at the path in <c>CUDAGENRE_FFMPEG</c>). ffmpeg writes the first audio stream as mono 32-bit
/// float AU to a pipe, which <see cref="AuReader"/> then reads under the same limits as any AU file. ffmpeg is told to
/// stop just past the longest clip allowed, its output is cut off at the size such a clip can have, and it is killed
/// after <see cref="Timeout"/>, so a hostile file costs bounded memory and time.
/// </summary>
internal static class FfmpegDecoder
{
    /// <summary>The longest one decode may take.</summary>
    public static TimeSpan Timeout { get; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether an ffmpeg binary is there (looked up on each call: cheap, and a later install is seen).</summary>
    public static bool IsAvailable => Find() is not null;

    /// <summary>Decodes the file at <paramref name="path"/> (or, when null, the bytes of <paramref name="stream"/> fed to ffmpeg's stdin).</summary>
    public static AudioClip Read(string? path, Stream stream, string name, FileFormat format, InputLimits limits)
    {
        if (Find() is not { } ffmpeg)
            throw new DataFileException(name, $"{FileSignature.Describe(format)}: reading it needs ffmpeg, which is not installed (looked on PATH, or at CUDAGENRE_FFMPEG when that is set); {FileSignature.SupportedAudio()}");

        // One second past the limit, so that a longer file is reported as over the limit rather than silently cut.
        var seconds = (limits.MaxAudioSeconds + 1).ToString("0.###", CultureInfo.InvariantCulture);
        var maxBytes = 64 + (long)Math.Ceiling((limits.MaxAudioSeconds + 1) * limits.MaxSampleRate) * sizeof(float);
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = path is null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // rematrix_maxval 1: a normalized downmix (stereo → the mean of the channels, as the built-in readers mix);
        // for float output ffmpeg otherwise keeps the unnormalized −3 dB matrix, √2 × the mean.
        foreach (var arg in (string[])["-nostdin", "-hide_banner", "-v", "error", "-i", path ?? "pipe:0", "-map", "0:a:0", "-vn", "-rematrix_maxval", "1", "-ac", "1", "-c:a", "pcm_f32be", "-t", seconds, "-f", "au", "pipe:1"])
            start.ArgumentList.Add(arg);
        if (path is null)
            start.ArgumentList.Remove("-nostdin");

        using var process = Process.Start(start) ?? throw new DataFileException(name, $"could not start {ffmpeg}");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                if (e.Data is { } line && errors.Length < 2000)
                    errors.AppendLine(line);
            }
        };
        process.BeginErrorReadLine();
        var feed = path is null ? Task.Run(() => Feed(stream, process.StandardInput.BaseStream)) : Task.CompletedTask;
        var output = new MemoryStream();
        var read = Task.Run(() => Drain(process.StandardOutput.BaseStream, output, maxBytes));
        var finished = read.Wait(Timeout);
        if (!finished || read.Result)
        {
            Kill(process);
            throw new DataFileException(name, finished
                ? $"{FileSignature.Describe(format)} decodes to more than {limits.MaxAudioSeconds} s of audio at up to {limits.MaxSampleRate} Hz (InputLimits.MaxAudioSeconds)"
                : $"ffmpeg took longer than {Timeout.TotalSeconds:0} s to decode it");
        }
        if (!process.WaitForExit(Timeout))
        {
            Kill(process);
            throw new DataFileException(name, $"ffmpeg did not exit within {Timeout.TotalSeconds:0} s");
        }
        process.WaitForExit(); // flushes the stderr handler
        try
        {
            feed.Wait(Timeout);
        }
        catch (AggregateException)
        {
            // ffmpeg stops reading stdin when it has what it needs or gives up; its exit code tells which.
        }
        if (process.ExitCode != 0 || output.Length == 0)
        {
            string message;
            lock (errors)
                message = errors.ToString().Trim().ReplaceLineEndings("; ");
            throw new DataFileException(name, $"ffmpeg could not decode {FileSignature.Describe(format)} (exit code {process.ExitCode}): {(message.Length > 0 ? message : "no audio stream")}");
        }
        output.Position = 0;
        return AudioFile.Read(output, name, limits);
    }

    /// <summary>Copies <paramref name="from"/> into <paramref name="to"/>; returns true (and stops) when more than <paramref name="maxBytes"/> come.</summary>
    private static bool Drain(Stream from, MemoryStream to, long maxBytes)
    {
        var buffer = new byte[1 << 16];
        int n;
        while ((n = from.Read(buffer)) > 0)
        {
            if (to.Length + n > maxBytes)
                return true;
            to.Write(buffer, 0, n);
        }
        return false;
    }

    private static void Feed(Stream from, Stream to)
    {
        try
        {
            from.CopyTo(to);
        }
        finally
        {
            to.Dispose();
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CUDAGENRE_FFMPEG") is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var file in (string[])["ffmpeg", "ffmpeg.exe"])
            {
                var candidate = Path.Combine(dir, file);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }
}
