using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Driver;

/// <summary>
/// The CUDA driver API (<c>libcuda.so.1</c>), as declared in <c>cuda.h</c>. Entry points are the exported
/// symbols that the header's macros map to (<c>cuMemAlloc</c> → <c>cuMemAlloc_v2</c>, …), without the
/// per-thread default-stream variants. Handle types: <c>CUdevice</c> = int; <c>CUdeviceptr</c> = ulong;
/// <c>CUcontext</c>, <c>CUstream</c>, <c>CUevent</c>, <c>CUmodule</c>, <c>CUfunction</c>, <c>CUgraph</c>,
/// <c>CUgraphExec</c> = nint. Every call returns a <see cref="CUresult"/>; check it with <see cref="DriverStatus.Check"/>.
/// The managed classes (<see cref="CudaDevice"/>, <see cref="CudaContext"/>, …) are the usual way in.
/// </summary>
public static unsafe partial class DriverApi
{
    private const string Lib = NativeLibraryNames.Driver;

    // Errors

    /// <summary>Static string naming the status ("CUDA_ERROR_INVALID_VALUE"); *pStr = null for an unknown status.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuGetErrorName(CUresult error, byte** pStr);

    /// <summary>Static string describing the status.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuGetErrorString(CUresult error, byte** pStr);

    // Initialization, version, devices

    /// <summary>Initializes the driver; Flags must be 0.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuInit(uint Flags);

    /// <summary>The CUDA version the driver supports, 1000*major + 10*minor (13000 = 13.0). Works before cuInit.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDriverGetVersion(int* driverVersion);

    /// <summary>Number of devices.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDeviceGetCount(int* count);

    /// <summary>The device handle for an ordinal.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDeviceGet(int* device, int ordinal);

    /// <summary>The device name as a NUL-terminated ASCII string in a caller buffer of len bytes.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDeviceGetName(byte* name, int len, int dev);

    /// <summary>One integer attribute of a device.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, int dev);

    /// <summary>Total device memory, bytes.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDeviceTotalMem_v2(nuint* bytes, int dev);

    // Primary context

    /// <summary>Retains (creating on first retain) the device's primary context.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDevicePrimaryCtxRetain(nint* pctx, int dev);

    /// <summary>Releases one retain of the device's primary context.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuDevicePrimaryCtxRelease_v2(int dev);

    /// <summary>Makes a context current on the calling thread.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuCtxSetCurrent(nint ctx);

    /// <summary>The calling thread's current context (0 when none).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuCtxGetCurrent(nint* pctx);

    /// <summary>Waits for all work in the current context.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuCtxSynchronize();

    /// <summary>Free and total memory of the current context's device, bytes.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemGetInfo_v2(nuint* free, nuint* total);

    // Streams and events

    /// <summary>Creates a stream (Flags: <see cref="CUstream_flags"/>).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuStreamCreate(nint* phStream, uint Flags);

    /// <summary>Destroys a stream; work already queued still completes.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuStreamDestroy_v2(nint hStream);

    /// <summary>Waits for all work queued on a stream.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuStreamSynchronize(nint hStream);

    /// <summary>Creates an event (Flags: <see cref="CUevent_flags"/>).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuEventCreate(nint* phEvent, uint Flags);

    /// <summary>Records an event on a stream.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuEventRecord(nint hEvent, nint hStream);

    /// <summary>Waits until an event has completed.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuEventSynchronize(nint hEvent);

    /// <summary>Time between two completed events, ms (resolution about 0.5 µs).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuEventElapsedTime(float* pMilliseconds, nint hStart, nint hEnd);

    /// <summary>Destroys an event.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuEventDestroy_v2(nint hEvent);

    // Memory

    /// <summary>Allocates device memory, bytes (aligned to at least 256 bytes).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemAlloc_v2(ulong* dptr, nuint bytesize);

    /// <summary>Frees device memory.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemFree_v2(ulong dptr);

    /// <summary>Allocates page-locked host memory, bytes, usable by asynchronous copies.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemAllocHost_v2(void** pp, nuint bytesize);

    /// <summary>Frees page-locked host memory.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemFreeHost(void* p);

    /// <summary>Host → device copy queued on a stream (asynchronous only from page-locked memory).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemcpyHtoDAsync_v2(ulong dstDevice, void* srcHost, nuint ByteCount, nint hStream);

    /// <summary>Device → host copy queued on a stream (asynchronous only to page-locked memory).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemcpyDtoHAsync_v2(void* dstHost, ulong srcDevice, nuint ByteCount, nint hStream);

    /// <summary>Device → device copy queued on a stream.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemcpyDtoDAsync_v2(ulong dstDevice, ulong srcDevice, nuint ByteCount, nint hStream);

    /// <summary>Sets N bytes to uc, queued on a stream.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemsetD8Async(ulong dstDevice, byte uc, nuint N, nint hStream);

    /// <summary>Sets N 32-bit words to ui, queued on a stream (dstDevice 4-byte aligned).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuMemsetD32Async(ulong dstDevice, uint ui, nuint N, nint hStream);

    // Modules and kernels

    /// <summary>Loads a module from a CUBIN, fatbin or NUL-terminated PTX image in memory.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuModuleLoadData(nint* module, void* image);

    /// <summary>Like cuModuleLoadData, with JIT options (e.g. log buffers).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuModuleLoadDataEx(nint* module, void* image, uint numOptions, CUjit_option* options, void** optionValues);

    /// <summary>Unloads a module.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuModuleUnload(nint hmod);

    /// <summary>Looks up a kernel by its (extern "C") name.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuModuleGetFunction(nint* hfunc, nint hmod, byte* name);

    /// <summary>Reads one attribute of a kernel.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuFuncGetAttribute(int* pi, CUfunction_attribute attrib, nint hfunc);

    /// <summary>Sets one attribute of a kernel.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuFuncSetAttribute(nint hfunc, CUfunction_attribute attrib, int value);

    /// <summary>
    /// Queues a kernel. kernelParams points to one pointer per kernel parameter, each pointing at the
    /// parameter's value; the values are copied when the launch is queued.
    /// </summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuLaunchKernel(
        nint f, uint gridDimX, uint gridDimY, uint gridDimZ, uint blockDimX, uint blockDimY, uint blockDimZ,
        uint sharedMemBytes, nint hStream, void** kernelParams, void** extra);

    // Graphs

    /// <summary>Starts capturing the work queued on a stream into a graph.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuStreamBeginCapture_v2(nint hStream, CUstreamCaptureMode mode);

    /// <summary>Ends a capture and returns the graph.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuStreamEndCapture(nint hStream, nint* phGraph);

    /// <summary>A stream's capture status.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuStreamIsCapturing(nint hStream, CUstreamCaptureStatus* captureStatus);

    /// <summary>Makes an executable graph (flags: CUgraphInstantiate_flags, 0 = none).</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuGraphInstantiateWithFlags(nint* phGraphExec, nint hGraph, ulong flags);

    /// <summary>Queues an executable graph on a stream.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuGraphLaunch(nint hGraphExec, nint hStream);

    /// <summary>Destroys an executable graph.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuGraphExecDestroy(nint hGraphExec);

    /// <summary>Destroys a graph.</summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuGraphDestroy(nint hGraph);
}
