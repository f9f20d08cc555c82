using System.Runtime.InteropServices;
using System.Text;

namespace CudaGenre.Cuda.Nvrtc;

/// <summary>One NVRTC compilation: source in, PTX (and CUBIN for a real <c>sm_XY</c> target) out.</summary>
public sealed class NvrtcProgram : IDisposable
{
    private readonly ProgramHandle _handle;

    /// <summary>Creates a program from CUDA C++ source.</summary>
    /// <param name="source">The source text (no headers are supplied: it must be self-contained).</param>
    /// <param name="name">The file name NVRTC uses in its messages, e.g. "depthwise_conv3x3.cu".</param>
    public unsafe NvrtcProgram(string source, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        _handle = new ProgramHandle();
        fixed (byte* src = Utf8(source))
        fixed (byte* file = Utf8(name))
        {
            nint program;
            NvrtcStatus.Check(NvrtcApi.nvrtcCreateProgram(&program, src, file, 0, null, null));
            _handle.Attach(program);
        }
    }

    /// <summary>The source file name.</summary>
    public string Name { get; }

    /// <summary>The program log of the last compilation (warnings too), empty when there was nothing to say.</summary>
    public unsafe string Log
    {
        get
        {
            var program = Handle;
            nuint size;
            NvrtcStatus.Check(NvrtcApi.nvrtcGetProgramLogSize(program, &size));
            if (size <= 1)
                return "";
            var log = new byte[(int)size];
            fixed (byte* text = log)
                NvrtcStatus.Check(NvrtcApi.nvrtcGetProgramLog(program, text));
            return Encoding.UTF8.GetString(log, 0, log.Length - 1).TrimEnd();
        }
    }

    private nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Compiles with <paramref name="options"/> (e.g. "-arch=compute_90", "--std=c++17").</summary>
    /// <exception cref="NvrtcCompilationException">The source did not compile; carries the log and the file name.</exception>
    /// <exception cref="CudaException">Another NVRTC failure (e.g. an unknown option).</exception>
    public unsafe void Compile(IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var program = Handle;
        var utf8 = options.Select(Utf8).ToArray();
        var handles = utf8.Select(o => GCHandle.Alloc(o, GCHandleType.Pinned)).ToArray();
        try
        {
            var pointers = stackalloc byte*[Math.Max(utf8.Length, 1)];
            for (var i = 0; i < utf8.Length; i++)
                pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
            var status = NvrtcApi.nvrtcCompileProgram(program, utf8.Length, pointers);
            if (status == nvrtcResult.NVRTC_ERROR_COMPILATION)
                throw new NvrtcCompilationException(Name, options, Log);
            NvrtcStatus.Check(status);
        }
        finally
        {
            foreach (var handle in handles)
                handle.Free();
        }
    }

    /// <summary>The PTX text as bytes, without the terminating NUL.</summary>
    public unsafe byte[] GetPtx()
    {
        var program = Handle;
        nuint size;
        NvrtcStatus.Check(NvrtcApi.nvrtcGetPTXSize(program, &size));
        var ptx = new byte[(int)size];
        fixed (byte* bytes = ptx)
            NvrtcStatus.Check(NvrtcApi.nvrtcGetPTX(program, bytes));
        return size > 0 && ptx[^1] == 0 ? ptx[..^1] : ptx;
    }

    /// <summary>The CUBIN (an ELF image); only after compiling for a real architecture (-arch=sm_XY).</summary>
    /// <exception cref="InvalidOperationException">The program was compiled for a virtual architecture (compute_XY): there is no CUBIN.</exception>
    public unsafe byte[] GetCubin()
    {
        var program = Handle;
        nuint size;
        NvrtcStatus.Check(NvrtcApi.nvrtcGetCUBINSize(program, &size));
        if (size == 0)
            throw new InvalidOperationException($"{Name} has no CUBIN: it was compiled for a virtual architecture (compute_XY); use -arch=sm_XY.");
        var cubin = new byte[(int)size];
        fixed (byte* bytes = cubin)
            NvrtcStatus.Check(NvrtcApi.nvrtcGetCUBIN(program, bytes));
        return cubin;
    }

    /// <summary>Destroys the program. Never throws.</summary>
    public void Dispose() => _handle.Dispose();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");

    private sealed class ProgramHandle : SafeHandle
    {
        public ProgramHandle()
            : base(0, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == 0;

        public void Attach(nint program) => SetHandle(program);

        protected override unsafe bool ReleaseHandle()
        {
            var program = handle;
            return NvrtcStatus.Release(NvrtcApi.nvrtcDestroyProgram(&program));
        }
    }
}
