// Shared by the test projects with fuzz targets (linked into each).
using System.Buffers.Binary;
using System.Text;
using CsCheck;

namespace CudaGenre.Tests.Shared;

/// <summary>One edit of a seed. The numbers are taken modulo the input's length where they are positions.</summary>
/// <param name="Kind">Which edit (the cases of Mutations.Apply).</param>
/// <param name="Position">Where (modulo the length).</param>
/// <param name="Length">How many bytes, for inserts, deletes and splices.</param>
/// <param name="Value">A byte, or an integer written into a header field.</param>
/// <param name="Other">A second position, a bit index or a seed index.</param>
public sealed record Mutation(int Kind, int Position, int Length, long Value, int Other);

/// <summary>CsCheck generators of mutated seeds: bit flips, byte edits, inserts, deletes, truncation, splices,
/// interesting integers in binary header fields (both byte orders) and in JSON numbers.</summary>
public static class Mutations
{
    /// <summary>Integers at the edges: 0, ±1, the byte/short/int/long limits, 2^32, 2^63, the safetensors header limit, Array.MaxLength.</summary>
    public static readonly long[] Interesting =
    [
        0, 1, -1, 2, 3, 4, 7, 8, 16, 24, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        int.MaxValue, int.MinValue, uint.MaxValue, 1L << 32, (1L << 32) + 1, long.MaxValue, long.MinValue,
        100_000_000, 100_000_001, 0x7FFFFFC7, 192_000, 192_001, 999, 1000, 16384, 16385, 1 << 25,
    ];

    private static readonly string[] JsonTokens =
    [
        "-1", "0", "1e999", "-0", "1.5", "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "2147483647", "2147483648", "null", "true", "\"\"", "\"x\"", "[]", "{}", "[0,0]", "\"__metadata__\"", "\"F32\"", "\"I64\"",
        "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"\\u0000\"", "\"\\ud800\"", ",", ":", "[", "]", "{", "}", "\"",
        "NaN", "1e-45", "3.4e38",
    ];

    public const int KindCount = 12;

    public static Gen<Mutation> Mutation { get; } = Gen.Select(
        Gen.Int[0, KindCount - 1],
        Gen.Int[0, int.MaxValue],
        Gen.Int[1, 64],
        Gen.OneOf<long>(Gen.OneOf<long>(Interesting), Gen.Long),
        Gen.Int[0, int.MaxValue],
        (kind, position, length, value, other) => new Mutation(kind, position, length, value, other));

    /// <summary>A seed (by index) with 1 to 6 mutations.</summary>
    public static Gen<byte[]> Of(IReadOnlyList<byte[]> seeds) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Mutation.Array[1, 6], (seed, edits) => Apply(seeds, seed, edits));

    public static byte[] Apply(IReadOnlyList<byte[]> seeds, int seed, IEnumerable<Mutation> edits)
    {
        var bytes = new List<byte>(seeds[seed]);
        foreach (var m in edits)
            Apply(bytes, seeds, m);
        return [.. bytes];
    }

    private static void Apply(List<byte> b, IReadOnlyList<byte[]> seeds, Mutation m)
    {
        var n = b.Count;
        var at = n == 0 ? 0 : m.Position % n;
        switch (m.Kind)
        {
            case 0 when n > 0: // bit flip
                b[at] ^= (byte)(1 << (m.Other % 8));
                break;
            case 1 when n > 0: // byte set
                b[at] = (byte)m.Value;
                break;
            case 2: // insert a run of one byte
                b.InsertRange(m.Position % (n + 1), Enumerable.Repeat((byte)m.Value, m.Length));
                break;
            case 3 when n > 0: // delete
                b.RemoveRange(at, Math.Min(m.Length, n - at));
                break;
            case 4: // truncate
                b.RemoveRange(m.Position % (n + 1), n - m.Position % (n + 1));
                break;
            case 5: // 32-bit little-endian integer
                Write(b, at, 4, m.Value, bigEndian: false);
                break;
            case 6: // 64-bit little-endian integer (the safetensors header length, the offsets' range)
                Write(b, at, 8, m.Value, bigEndian: false);
                break;
            case 7: // 32-bit big-endian integer (AU header fields)
                Write(b, at, 4, m.Value, bigEndian: true);
                break;
            case 8: // splice bytes of another seed in
            {
                var other = seeds[m.Other % seeds.Count];
                if (other.Length == 0)
                    break;
                var from = (int)((ulong)m.Value % (ulong)other.Length);
                var count = Math.Min(m.Length * 4, other.Length - from);
                b.InsertRange(m.Position % (n + 1), other.Skip(from).Take(count));
                break;
            }
            case 9 when n > 0: // copy a range of the input over another place in it
            {
                var from = m.Other % n;
                var count = Math.Min(m.Length, Math.Min(n - from, n - at));
                var chunk = b.GetRange(from, count);
                for (var i = 0; i < count; i++)
                    b[at + i] = chunk[i];
                break;
            }
            case 10 when n > 0: // replace the next JSON number with an interesting one
            {
                var i = b.FindIndex(at, c => c is (byte)'-' or (>= (byte)'0' and <= (byte)'9'));
                if (i < 0)
                    break;
                var j = i + 1;
                while (j < n && b[j] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-' or (>= (byte)'0' and <= (byte)'9'))
                    j++;
                b.RemoveRange(i, j - i);
                var text = (m.Other % 3) switch
                {
                    0 => m.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    1 => ((ulong)m.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => JsonTokens[m.Other % JsonTokens.Length],
                };
                b.InsertRange(i, Encoding.ASCII.GetBytes(text));
                break;
            }
            case 11: // insert a JSON token
                b.InsertRange(m.Position % (n + 1), Encoding.UTF8.GetBytes(JsonTokens[m.Other % JsonTokens.Length]));
                break;
        }
    }

    private static void Write(List<byte> b, int at, int size, long value, bool bigEndian)
    {
        Span<byte> v = stackalloc byte[8];
        if (bigEndian)
            BinaryPrimitives.WriteInt64BigEndian(v, value);
        else
            BinaryPrimitives.WriteInt64LittleEndian(v, value);
        var field = bigEndian ? v[(8 - size)..] : v[..size];
        for (var i = 0; i < size && at + i < b.Count; i++)
            b[at + i] = field[i];
    }
}
