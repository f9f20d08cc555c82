using System.Runtime.InteropServices;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// Machine code mapped executable for the life of the process: libc mmap (read-write) → copy → mprotect (read-execute),
/// so no page is ever writable and executable at once. Linux x86-64 only (<see cref="Bf16Support"/> checks that first).
/// </summary>
internal static unsafe partial class ExecutableCode
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 0x02, MapAnonymous = 0x20;

    /// <summary>A copy of <paramref name="code"/> in fresh executable pages; never unmapped (the kernels live as long as the process).</summary>
    /// <exception cref="InvalidOperationException">mmap or mprotect failed (the errno is named).</exception>
    public static nint Map(ReadOnlySpan<byte> code, string what)
    {
        if (code.IsEmpty)
        {
            throw new ArgumentException($"{what}: no machine code to map.", nameof(code));
        }
        var length = (nuint)code.Length;
        var pages = Mmap(0, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (pages == -1)
        {
            throw new InvalidOperationException($"{what}: mmap of {code.Length} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        code.CopyTo(new Span<byte>((void*)pages, code.Length));
        if (Mprotect(pages, length, ProtRead | ProtExec) != 0)
        {
            throw new InvalidOperationException($"{what}: mprotect to read+execute failed (errno {Marshal.GetLastPInvokeError()}); a policy forbidding executable mappings (e.g. SELinux execmem) would do this.");
        }
        return pages;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);
}
