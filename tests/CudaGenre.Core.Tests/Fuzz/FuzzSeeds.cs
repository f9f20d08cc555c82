using System.Text;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Core.Tests.Audio;

namespace CudaGenre.Core.Tests.Fuzz;

/// <summary>
/// The seed corpus: small valid files for each target, made with the project's own writers (the safetensors and
/// model writers, the PNG writer) and the byte-level WAV/AU builders of the audio tests. Committed under
/// <c>Fuzz/corpus/&lt;target&gt;/seed-*.bin</c> by <see cref="FuzzTests.WriteCorpus"/>
/// (<c>CUDAGENRE_FUZZ_WRITE_CORPUS=1</c>); regressions (<c>regress-*.bin</c>) sit next to them.
/// </summary>
public static class FuzzSeeds
{
    /// <summary>A CNN small enough that its model file is a few kilobytes.</summary>
    public static ModelSpec TinyCnn(ClassifierHead head) => ModelSpec.Default(Architecture.Cnn, head) with
    {
        InputHeight = 16,
        InputWidth = 16,
        CnnWidths = [2, 4],
        DenseUnits = 8,
        ClassNames = ["blues", "jazz", "rock"],
    };

    public static IReadOnlyDictionary<string, IReadOnlyList<(string Name, byte[] Bytes)>> Generate()
    {
        using var temp = new TempFolder();
        byte[] Model(string file, ModelSpec spec)
        {
            var path = Path.Combine(temp.Path, file);
            RandomWeights.WriteModel(path, spec, 7);
            return System.IO.File.ReadAllBytes(path);
        }
        var cnnLinear = Model("cnn-linear.safetensors", TinyCnn(ClassifierHead.Linear));
        var cnnDense = Model("cnn-dense.safetensors", TinyCnn(ClassifierHead.Dense));

        var mixed = new SafetensorsWriter();
        mixed.Metadata["note"] = "fuzz seed";
        mixed.Add("a.f32", new TensorShape([2, 3]), [1f, 2f, 3f, 4f, 5f, 6f]);
        mixed.Add("b.f16", new TensorShape([2]), [(Half)1, (Half)(-2)]);
        mixed.Add("c.i64", TensorShape.Scalar, [42L]);
        mixed.Add("d.empty", new TensorShape([0, 4]), ReadOnlySpan<float>.Empty);
        mixed.AddBFloat16("e.bf16", new TensorShape([1, 2]), [0.5f, -0.25f]);
        var mixedBytes = ToBytes(mixed);
        var empty = ToBytes(new SafetensorsWriter());

        byte[] Png(string file, int width, int height)
        {
            var image = new RgbImage(width, height);
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                    image.SetPixel(x, y, (byte)(x * 40), (byte)(y * 60), (byte)(x ^ y));
            var path = Path.Combine(temp.Path, file);
            ImageFile.WritePng(path, image);
            return System.IO.File.ReadAllBytes(path);
        }

        var pcm16 = Enumerable.Range(0, 160).SelectMany(i => AudioTestFiles.U16((ushort)(short)(8000 * Math.Sin(i * 0.3)))).ToArray();
        var bytes8 = Enumerable.Range(0, 120).Select(i => (byte)(128 + 100 * Math.Sin(i * 0.2))).ToArray();
        var float32 = Enumerable.Range(0, 64).SelectMany(i => BitConverter.GetBytes((float)Math.Sin(i * 0.1))).ToArray();
        var be16 = Enumerable.Range(0, 100).SelectMany(i => new[] { (byte)(i * 3), (byte)i }).ToArray();
        var audio = new List<(string, byte[])>
        {
            ("seed-wav-pcm16-8000.bin", AudioTestFiles.Wav(1, 1, 8000, 16, pcm16)),
            ("seed-wav-pcm8-stereo-1000.bin", AudioTestFiles.Wav(1, 2, 1000, 8, bytes8)),
            ("seed-wav-float32-22050.bin", AudioTestFiles.Wav(3, 1, 22050, 32, float32)),
            ("seed-wav-mulaw-8000.bin", AudioTestFiles.Wav(7, 1, 8000, 8, bytes8)),
            ("seed-wav-extensible-pcm24.bin", AudioTestFiles.Riff(
                AudioTestFiles.Chunk("fmt ", AudioTestFiles.ExtensibleFmtBody(1, 1, 16000, 24, 24)),
                AudioTestFiles.Chunk("LIST", Encoding.ASCII.GetBytes("INFOjunk!")),
                AudioTestFiles.Chunk("data", bytes8[..96]))),
            ("seed-au-pcm16-11025.bin", AudioTestFiles.Au(3, 1, 11025, be16)),
            ("seed-au-mulaw-8000-annotated.bin", AudioTestFiles.Au(1, 2, 8000, bytes8, annotationBytes: 16)),
            ("seed-au-open-ended.bin", AudioTestFiles.Au(2, 1, 8000, bytes8, dataSize: uint.MaxValue)),
        };

        var specs = new[]
        {
            ("seed-cnn-dense.bin", TinyCnn(ClassifierHead.Dense).ToJson()),
            ("seed-cnn-full.bin", (ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with
            {
                InputHeight = 128,
                InputWidth = 192,
                Mean = [0.1f, 0.2f, 0.3f],
                Std = [0.9f, 0.8f, 0.7f],
                ClassNames = ["rock", "jazz", "métal \"heavy\""],
                TrainerVersion = "cudagenre-train 0.1.0",
                SplitHash = "6b5d1f192aaef84cbdfb5fe9232a82909bc9eebdd9f735e09b4b6e359be3aa9c",
            }).ToJson()),
            ("seed-resnet18.bin", ModelSpec.Default(Architecture.ResNet18).ToJson()),
            ("seed-minimal.bin", "{\"architecture\":\"cnn\",\"inputHeight\":32,\"inputWidth\":32}"),
        };

        return new Dictionary<string, IReadOnlyList<(string, byte[])>>
        {
            ["safetensors"] = [("seed-mixed-dtypes.bin", mixedBytes), ("seed-empty.bin", empty), ("seed-cnn-linear.bin", cnnLinear)],
            ["model"] = [("seed-cnn-linear.bin", cnnLinear), ("seed-cnn-dense.bin", cnnDense)],
            ["image"] = [("seed-png-5x4.bin", Png("a.png", 5, 4)), ("seed-png-1x1.bin", Png("b.png", 1, 1)), ("seed-png-16x9.bin", Png("c.png", 16, 9))],
            ["audio"] = audio,
            // The compressed-audio test fixtures (1 s of stereo at 22050 Hz, made by Audio/Fixtures/make-fixtures.sh).
            ["compressed"] = [("seed-mp3-tone.bin", System.IO.File.ReadAllBytes(CompressedAudioTests.Fixture("tone.mp3"))), ("seed-ogg-tone.bin", System.IO.File.ReadAllBytes(CompressedAudioTests.Fixture("tone.ogg")))],
            ["frontend"] = [audio[0], audio[1], audio[5]],
            ["spec"] = [.. specs.Select(s => (s.Item1, Encoding.UTF8.GetBytes(s.Item2)))],
            ["ensemble"] =
            [
                ("seed-two-members.bin", Encoding.UTF8.GetBytes("""{"format":"cudagenre-ensemble/1","combination":"mean-probability","description":"cnn + resnet","members":[{"path":"m0-cnn.safetensors","weight":1},{"path":"../runs/resnet/model.safetensors","weight":2.5}]}""")),
                ("seed-one-member.bin", Encoding.UTF8.GetBytes("{\n  \"format\": \"cudagenre-ensemble/1\",\n  \"combination\": \"mean-probability\",\n  \"members\": [ { \"path\": \"model.safetensors\" } ]\n}\n")),
            ],
        };
    }

    private static byte[] ToBytes(SafetensorsWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }
}
