namespace CudaGenre.Cuda.Driver;

// Names and values as in cuda.h (CUDA 12.6). Only the members this project uses are listed; a C enum
// passed by value is an int, so the C# enums are int-sized.

/// <summary>Device attributes read with <c>cuDeviceGetAttribute</c> (subset of <c>CUdevice_attribute</c>).</summary>
public enum CUdevice_attribute
{
    /// <summary>Maximum threads per block.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,

    /// <summary>Maximum block dimension X.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,

    /// <summary>Maximum grid dimension X.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,

    /// <summary>Shared memory per block without opting in, bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,

    /// <summary>Constant memory, bytes.</summary>
    CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY = 9,

    /// <summary>Warp size, threads.</summary>
    CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,

    /// <summary>32-bit registers per block.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12,

    /// <summary>Typical SM clock, kHz.</summary>
    CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,

    /// <summary>Number of streaming multiprocessors.</summary>
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,

    /// <summary>1 when the device is integrated with host memory.</summary>
    CU_DEVICE_ATTRIBUTE_INTEGRATED = 18,

    /// <summary>1 when kernels can run concurrently.</summary>
    CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS = 31,

    /// <summary>1 when ECC is on.</summary>
    CU_DEVICE_ATTRIBUTE_ECC_ENABLED = 32,

    /// <summary>PCI bus id.</summary>
    CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33,

    /// <summary>Peak memory clock, kHz.</summary>
    CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,

    /// <summary>Global memory bus width, bits.</summary>
    CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,

    /// <summary>L2 cache size, bytes.</summary>
    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,

    /// <summary>Maximum resident threads per SM.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,

    /// <summary>1 when host and device share one address space.</summary>
    CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41,

    /// <summary>Compute capability, major.</summary>
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,

    /// <summary>Compute capability, minor.</summary>
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,

    /// <summary>Shared memory per SM, bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,

    /// <summary>Shared memory per block when a kernel opts in (cuFuncSetAttribute), bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
}

/// <summary>Kernel attributes for <c>cuFuncGetAttribute</c>/<c>cuFuncSetAttribute</c> (subset of <c>CUfunction_attribute</c>).</summary>
public enum CUfunction_attribute
{
    /// <summary>Largest block this kernel can be launched with (depends on its registers).</summary>
    CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,

    /// <summary>Statically allocated shared memory, bytes.</summary>
    CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,

    /// <summary>Constant memory, bytes.</summary>
    CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,

    /// <summary>Local memory per thread, bytes.</summary>
    CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,

    /// <summary>Registers per thread.</summary>
    CU_FUNC_ATTRIBUTE_NUM_REGS = 4,

    /// <summary>PTX virtual architecture the kernel was compiled for, major*10+minor.</summary>
    CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,

    /// <summary>Binary architecture, major*10+minor.</summary>
    CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,

    /// <summary>Dynamic shared memory a launch may ask for, bytes (settable).</summary>
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,

    /// <summary>Preferred shared-memory carve-out, percent of L1 (settable).</summary>
    CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT = 9,
}

/// <summary>How strictly a stream capture guards against unsafe calls elsewhere (<c>CUstreamCaptureMode</c>).</summary>
public enum CUstreamCaptureMode
{
    /// <summary>Unsafe calls on any thread fail while a global-mode capture runs.</summary>
    CU_STREAM_CAPTURE_MODE_GLOBAL = 0,

    /// <summary>Only the capturing thread's unsafe calls fail; other threads are not disturbed.</summary>
    CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,

    /// <summary>No calls are prohibited.</summary>
    CU_STREAM_CAPTURE_MODE_RELAXED = 2,
}

/// <summary>A stream's capture state (<c>CUstreamCaptureStatus</c>).</summary>
public enum CUstreamCaptureStatus
{
    /// <summary>Not capturing.</summary>
    CU_STREAM_CAPTURE_STATUS_NONE = 0,

    /// <summary>Capturing.</summary>
    CU_STREAM_CAPTURE_STATUS_ACTIVE = 1,

    /// <summary>The capture was invalidated by an error but not ended yet.</summary>
    CU_STREAM_CAPTURE_STATUS_INVALIDATED = 2,
}

/// <summary>Options for <c>cuModuleLoadDataEx</c> (subset of <c>CUjit_option</c>).</summary>
public enum CUjit_option
{
    /// <summary>Output: wall time of the JIT, ms (float).</summary>
    CU_JIT_WALL_TIME = 2,

    /// <summary>A buffer for informational log messages (char*).</summary>
    CU_JIT_INFO_LOG_BUFFER = 3,

    /// <summary>In: size of the info buffer, bytes; out: bytes used (unsigned int).</summary>
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,

    /// <summary>A buffer for error log messages (char*).</summary>
    CU_JIT_ERROR_LOG_BUFFER = 5,

    /// <summary>In: size of the error buffer, bytes; out: bytes used (unsigned int).</summary>
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,

    /// <summary>1 = verbose log.</summary>
    CU_JIT_LOG_VERBOSE = 12,

    /// <summary>1 = line information for profilers.</summary>
    CU_JIT_GENERATE_LINE_INFO = 13,
}

/// <summary>Flags of <c>cuStreamCreate</c> (<c>CUstream_flags</c>).</summary>
[Flags]
public enum CUstream_flags : uint
{
    /// <summary>Synchronizes with the legacy NULL stream.</summary>
    CU_STREAM_DEFAULT = 0x0,

    /// <summary>Does not synchronize with the NULL stream.</summary>
    CU_STREAM_NON_BLOCKING = 0x1,
}

/// <summary>Flags of <c>cuEventCreate</c> (<c>CUevent_flags</c>).</summary>
[Flags]
public enum CUevent_flags : uint
{
    /// <summary>Timing on, spin-wait.</summary>
    CU_EVENT_DEFAULT = 0x0,

    /// <summary>Waiting blocks the thread instead of spinning.</summary>
    CU_EVENT_BLOCKING_SYNC = 0x1,

    /// <summary>No timing data (cheaper; for synchronization only).</summary>
    CU_EVENT_DISABLE_TIMING = 0x2,
}
