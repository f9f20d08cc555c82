namespace CudaGenre.Cuda.Driver;

/// <summary>One <c>__global__</c> function of a loaded module, ready to launch.</summary>
public sealed class CudaKernel
{
    private readonly nint _function;

    internal CudaKernel(CudaModule module, string name, nint function)
    {
        Module = module;
        Name = name;
        _function = function;
    }

    /// <summary>The module it belongs to.</summary>
    public CudaModule Module { get; }

    /// <summary>Its <c>extern "C"</c> name.</summary>
    public string Name { get; }

    /// <summary>The driver's <c>CUfunction</c> (valid while the module is loaded).</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(Module.IsUnloaded, Module);
            return _function;
        }
    }

    /// <summary>The largest block (threads) this kernel can be launched with on this device.</summary>
    public int MaxThreadsPerBlock => GetAttribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);

    /// <summary>Registers per thread.</summary>
    public int RegistersPerThread => GetAttribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS);

    /// <summary>One attribute (units as documented on <see cref="CUfunction_attribute"/>).</summary>
    public unsafe int GetAttribute(CUfunction_attribute attribute)
    {
        Module.Context.MakeCurrent();
        int value;
        DriverStatus.Check(DriverApi.cuFuncGetAttribute(&value, attribute, Handle));
        return value;
    }

    /// <summary>Sets one attribute, e.g. <c>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES</c> before a launch that needs more than 48 KiB of dynamic shared memory.</summary>
    public void SetAttribute(CUfunction_attribute attribute, int value)
    {
        Module.Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuFuncSetAttribute(Handle, attribute, value));
    }

    /// <summary>
    /// Queues the kernel on <paramref name="stream"/>. The argument values are copied when the launch is
    /// queued, so <paramref name="arguments"/> can be changed or reused right after. Their types must match the
    /// kernel's parameters exactly (an <c>int</c> where the kernel takes <c>long</c> is not detected).
    /// </summary>
    /// <param name="grid">Blocks per grid.</param>
    /// <param name="block">Threads per block.</param>
    /// <param name="stream">The stream to queue on.</param>
    /// <param name="arguments">The kernel's arguments in order.</param>
    /// <param name="sharedMemoryBytes">Dynamic shared memory per block, bytes (default 0).</param>
    public unsafe void Launch(Dim3 grid, Dim3 block, CudaStream stream, KernelArguments arguments, uint sharedMemoryBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(arguments);
        var function = Handle;
        Module.Context.MakeCurrent();
        var count = arguments.Count;
        var pointers = stackalloc void*[Math.Max(count, 1)];
        fixed (byte* values = arguments.Values)
        {
            for (var i = 0; i < count; i++)
                pointers[i] = values + arguments.OffsetOf(i);
            var status = DriverApi.cuLaunchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedMemoryBytes,
                stream.Handle, pointers, null);
            if (status != CUresult.CUDA_SUCCESS)
            {
                throw DriverStatus.Failure(status, nameof(DriverApi.cuLaunchKernel),
                    $"launching {Name} from '{Module.Name}' with grid {grid}, block {block}, {sharedMemoryBytes} bytes of shared memory, {count} arguments");
            }
        }
    }

    /// <summary>"depthwise3x3_nhwc_f32 (depthwise_conv3x3.cu)".</summary>
    public override string ToString() => $"{Name} ({Module.Name})";
}
