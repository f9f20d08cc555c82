using System.Text;
using CudaGenre.Core.Audio;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Tests.Fuzz;

/// <summary>The fuzz targets: the README's pure entry points for untrusted input.</summary>
public static class FuzzTargets
{
    /// <summary>
    /// Limits tighter than the defaults, so that a case stays fast and the allocation bound small; the checks are
    /// the same code whatever the numbers.
    /// </summary>
    public static readonly InputLimits Limits = new()
    {
        MaxImageWidth = 1024,
        MaxImageHeight = 1024,
        MaxImagePixels = 1 << 18,
        MaxAudioSeconds = 30,
    };

    private const long MiB = 1 << 20;

    /// <summary><see cref="SafetensorsFile.Parse"/>: the header (JSON) is at most the file, entries a few objects each.</summary>
    public static readonly FuzzTarget Safetensors = new(
        "safetensors",
        bytes => SafetensorsFile.Parse(bytes, "fuzz.safetensors"),
        [typeof(DataFileException)],
        length => 4 * MiB + 64 * length);

    /// <summary><see cref="ModelFile.Parse"/>: safetensors, then the spec in its metadata, the graph and the weight check.</summary>
    public static readonly FuzzTarget Model = new(
        "model",
        bytes => ModelFile.Parse(bytes, "fuzz.cgmodel"),
        [typeof(DataFileException)],
        length => 8 * MiB + 128 * length);

    /// <summary>
    /// <see cref="ImageFile.Decode"/> (PNG mostly, also BMP/GIF seeds): whatever the bytes declare, the decoded
    /// pixels are at most <see cref="InputLimits.MaxImagePixels"/> × (4 bytes RGBA + 3 bytes RGB).
    /// </summary>
    public static readonly FuzzTarget Image = new(
        "image",
        bytes => ImageFile.Decode(bytes, "fuzz.png", Limits),
        [typeof(DataFileException)],
        length => 4 * MiB + 8 * length + 7 * Limits.MaxImagePixels);

    /// <summary>
    /// <see cref="AudioFile.Read(Stream, string, InputLimits?)"/> (WAV and AU): samples are never more than the bytes
    /// there, so 4 bytes of float per byte of file, plus the stream's copy.
    /// </summary>
    public static readonly FuzzTarget Audio = new(
        "audio",
        bytes => AudioFile.Read(new MemoryStream(bytes, writable: false), "fuzz.wav", Limits),
        [typeof(DataFileException)],
        length => 1 * MiB + 16 * length);

    /// <summary>
    /// <see cref="AudioFile.Read(Stream, string, InputLimits?)"/> on MP3 and Ogg Vorbis (NLayer and NVorbis, chosen by
    /// <see cref="FileSignature"/>): whatever the file declares, decoding stops at <see cref="InputLimits.MaxAudioSeconds"/>,
    /// so the allocations are bounded by the decoders' tables and buffers plus 30 s of mono at up to 192 kHz, grown by doubling.
    /// </summary>
    public static readonly FuzzTarget Compressed = new(
        "compressed",
        bytes => AudioFile.Read(new MemoryStream(bytes, writable: false), "fuzz.audio", Limits),
        [typeof(DataFileException)],
        length => 96 * MiB + 64 * length);

    /// <summary>
    /// The audio front-end from a file: read, then <see cref="AudioFrontEnd.ToImage"/> (resample to 22050 Hz, log-mel,
    /// render) at a small image size. Resampling from the lowest allowed rate (1000 Hz) multiplies the samples by 22;
    /// the analysis works on frames of those.
    /// </summary>
    public static readonly FuzzTarget FrontEnd = new(
        "frontend",
        bytes =>
        {
            var clip = AudioFile.Read(new MemoryStream(bytes, writable: false), "fuzz.wav", Limits);
            AudioFrontEnd.ToImage(clip, 64, 32, limits: Limits, name: "fuzz.wav");
        },
        [typeof(DataFileException)],
        length => 32 * MiB + 4096 * length);

    /// <summary>
    /// <see cref="ModelSpec.FromJson"/> on the bytes as UTF-8, then (for a spec that parses) the round trip through
    /// <see cref="ModelSpec.ToJson"/>, which must give the same spec.
    /// </summary>
    public static readonly FuzzTarget Spec = new(
        "spec",
        bytes =>
        {
            var spec = ModelSpec.FromJson(Encoding.UTF8.GetString(bytes));
            var back = ModelSpec.FromJson(spec.ToJson());
            if (!spec.Equals(back))
                throw new InvalidOperationException($"round trip changed the spec: {spec.ToJson()} came back as {back.ToJson()}");
        },
        [typeof(ArgumentException)],
        length => 4 * MiB + 256 * length);

    /// <summary>
    /// <see cref="EnsembleManifest.Parse"/>: JSON of at most <see cref="InputLimits.MaxEnsembleManifestBytes"/>, members at
    /// most <see cref="InputLimits.MaxEnsembleMembers"/>, each a path and a weight.
    /// </summary>
    public static readonly FuzzTarget Ensemble = new(
        "ensemble",
        bytes => EnsembleManifest.Parse(bytes, "fuzz/e.ensemble.json"),
        [typeof(DataFileException)],
        length => 2 * MiB + 64 * length);

    public static IReadOnlyList<FuzzTarget> All { get; } = [Safetensors, Model, Image, Audio, Compressed, FrontEnd, Spec, Ensemble];

    public static FuzzTarget ByName(string name) => All.Single(t => t.Name == name);
}
