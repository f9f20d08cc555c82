using System.Text;

namespace CudaGenre.Cuda.Driver;

/// <summary>
/// Device code loaded into a context: a CUBIN (run as is), a fatbin, or PTX (compiled by the driver's JIT
/// for this device). A JIT failure throws with the JIT's error log. Kernels are looked up by their
/// <c>extern "C"</c> names.
/// </summary>
public sealed class CudaModule : IDisposable
{
    private const int LogBytes = 16 * 1024;
    private readonly ModuleHandle _handle;
    private readonly Dictionary<string, CudaKernel> _kernels = new(StringComparer.Ordinal);

    internal unsafe CudaModule(CudaContext context, ReadOnlySpan<byte> image, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (image.IsEmpty)
            throw new ArgumentException($"the image of module '{name}' is empty.", nameof(image));
        Context = context;
        Name = name;
        // PTX is text and the driver reads it up to a NUL; a CUBIN (ELF) or fatbin carries its own length.
        var data = IsBinary(image) || image[^1] == 0 ? image : [.. image, 0];
        var errorLog = new byte[LogBytes];
        var infoLog = new byte[LogBytes];
        context.MakeCurrent();
        _handle = new ModuleHandle(context.SafeHandle);
        fixed (byte* bytes = data)
        fixed (byte* error = errorLog)
        fixed (byte* info = infoLog)
        {
            var options = stackalloc CUjit_option[]
            {
                CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                CUjit_option.CU_JIT_INFO_LOG_BUFFER, CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
            };
            // Option values travel in the pointer slots themselves (sizes as integers cast to void*).
            var values = stackalloc void*[] { error, (void*)(nuint)LogBytes, info, (void*)(nuint)LogBytes };
            nint module;
            var status = DriverApi.cuModuleLoadDataEx(&module, bytes, 4, options, values);
            if (status != CUresult.CUDA_SUCCESS)
            {
                var log = TextOf(errorLog);
                throw DriverStatus.Failure(status, nameof(DriverApi.cuModuleLoadDataEx),
                    $"loading module '{name}' ({(IsBinary(image) ? "binary" : "PTX")}, {image.Length} bytes)" +
                    (log.Length > 0 ? $"; JIT error log:\n{log}" : ""));
            }
            _handle.Attach(module);
        }
        JitLog = TextOf(infoLog);
    }

    /// <summary>The context the module lives in.</summary>
    public CudaContext Context { get; }

    /// <summary>The name given at load (e.g. the kernel file), used in errors.</summary>
    public string Name { get; }

    /// <summary>The JIT's informational log (empty for a CUBIN or when it had nothing to say).</summary>
    public string JitLog { get; }

    /// <summary>The driver's <c>CUmodule</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>The kernel with this <c>extern "C"</c> name (looked up once, then cached).</summary>
    /// <exception cref="CudaException">No such kernel in the module (CUDA_ERROR_NOT_FOUND).</exception>
    public unsafe CudaKernel GetKernel(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_kernels)
        {
            if (_kernels.TryGetValue(name, out var cached))
                return cached;
            Context.MakeCurrent();
            var utf8 = Encoding.UTF8.GetBytes(name + "\0");
            nint function;
            fixed (byte* text = utf8)
            {
                var status = DriverApi.cuModuleGetFunction(&function, Handle, text);
                if (status != CUresult.CUDA_SUCCESS)
                {
                    throw DriverStatus.Failure(status, nameof(DriverApi.cuModuleGetFunction),
                        $"module '{Name}' has no kernel named '{name}' (a kernel must be declared extern \"C\" to keep its name)");
                }
            }
            var kernel = new CudaKernel(this, name, function);
            _kernels[name] = kernel;
            return kernel;
        }
    }

    /// <summary>Unloads the module; its kernels become unusable. Never throws.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>Whether the module was unloaded (its kernels then refuse to launch).</summary>
    internal bool IsUnloaded => _handle.IsClosed;

    /// <summary>ELF (CUBIN) or fatbin magic at the start.</summary>
    internal static bool IsBinary(ReadOnlySpan<byte> image) =>
        image.StartsWith("\u007fELF"u8) || (image.Length >= 4 && BitConverter.ToUInt32(image[..4]) == 0xBA55ED50u);

    private static string TextOf(byte[] log)
    {
        var end = Array.IndexOf(log, (byte)0);
        return Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end).Trim();
    }
}
