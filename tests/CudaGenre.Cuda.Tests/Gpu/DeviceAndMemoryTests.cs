using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Gpu;

[Collection(nameof(GpuUsers))]
public class DeviceAndMemoryTests
{
    [Fact]
    public void Device_ReportsSaneFacts()
    {
        var context = Requirements.Gpu();
        var device = context.Device;
        Assert.True(CudaDevice.Count >= 1);
        Assert.False(string.IsNullOrWhiteSpace(device.Name));
        Assert.DoesNotContain('\0', device.Name);
        Assert.InRange(device.ComputeCapability.Major, 3, 20);
        Assert.InRange(device.MultiprocessorCount, 1, 1000);
        Assert.InRange(device.ClockRateKHz, 100_000, 5_000_000);
        Assert.True(device.TotalMemoryBytes > 1L << 30, $"{device.TotalMemoryBytes} bytes");
        Assert.Equal(32, device.GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_WARP_SIZE));
        Assert.True(device.GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK) >= 1024);
        Assert.Equal(1, device.GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING));

        var (free, total) = context.GetMemoryInfo();
        Assert.InRange(free, 1, total);
        // cuMemGetInfo's total leaves out memory the driver reserves; it stays close to cuDeviceTotalMem.
        Assert.InRange(total, device.TotalMemoryBytes * 9 / 10, device.TotalMemoryBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaDevice.Get(CudaDevice.Count));
        Assert.True(CudaDriver.Version >= 11000);
    }

    [Fact]
    public void RandomData_RoundTrips_ThroughDeviceMemory_AtOffsets_AndDeviceToDevice()
    {
        var context = Requirements.Gpu();
        using var stream = context.CreateStream();
        var random = new Random(1234);
        var data = new float[1_000_003];
        for (var i = 0; i < data.Length; i++)
            data[i] = (float)(random.NextDouble() * 2000 - 1000);

        using var buffer = context.Allocate<float>(data.Length);
        Assert.Equal(data.Length * 4L, buffer.SizeInBytes);
        Assert.Equal(0UL, buffer.Pointer % 256);
        buffer.CopyFrom(data, stream);
        Assert.Equal(data, buffer.ToArray(stream));

        // A slice written at an offset lands there and nowhere else.
        var patch = Enumerable.Range(0, 1000).Select(i => -(float)i - 0.5f).ToArray();
        buffer.CopyFrom(patch, stream, index: 500_000);
        var expected = (float[])data.Clone();
        patch.CopyTo(expected, 500_000);
        Assert.Equal(expected, buffer.ToArray(stream));
        var window = new float[10];
        buffer.CopyTo(window, stream, index: 499_995);
        Assert.Equal(expected[499_995..500_005], window);

        using var copy = context.Allocate<float>(data.Length + 7);
        copy.EnqueueCopyFrom(buffer, stream, index: 7);
        var copied = copy.ToArray(stream);
        Assert.Equal(expected, copied[7..]);

        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(new float[10], stream, index: data.Length - 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.Allocate<float>(0));
    }

    [Fact]
    public void Memset_SetsEveryByte_OrEvery32BitWord()
    {
        var context = Requirements.Gpu();
        using var stream = context.CreateStream();
        using var bytes = context.Allocate<byte>(4099);
        bytes.CopyFrom(Enumerable.Range(0, 4099).Select(i => (byte)(i * 7)).ToArray(), stream);
        bytes.EnqueueFillBytes(0xAB, stream);
        Assert.All(bytes.ToArray(stream), b => Assert.Equal(0xAB, b));
        Assert.Throws<InvalidOperationException>(() => bytes.EnqueueFill32(0, stream));

        using var floats = context.Allocate<float>(12_345);
        floats.EnqueueFill32(BitConverter.SingleToUInt32Bits(-1.75f), stream);
        Assert.All(floats.ToArray(stream), f => Assert.Equal(-1.75f, f));
    }

    [Fact]
    public void PinnedBuffers_RoundTrip_WithQueuedCopies()
    {
        var context = Requirements.Gpu();
        using var stream = context.CreateStream();
        const int n = 262_147;
        using var upload = context.AllocatePinned<int>(n);
        using var download = context.AllocatePinned<int>(n);
        using var device = context.Allocate<int>(n);
        var random = new Random(99);
        var source = upload.AsSpan();
        for (var i = 0; i < n; i++)
            source[i] = random.Next();
        download.AsSpan().Fill(-1);

        device.EnqueueCopyFrom(upload, stream);
        device.EnqueueCopyTo(download, stream);
        stream.Synchronize();

        Assert.True(upload.AsSpan().SequenceEqual(download.AsSpan()));
        Assert.Equal(n * 4L, download.SizeInBytes);
    }

    [Fact]
    public void Objects_OutliveTheirContextRetain_AndReleaseCleanly_InAnyOrder()
    {
        var context = Requirements.Gpu();
        var failuresBefore = NativeReleaseFailures.Count;
        var extra = context.Device.RetainPrimaryContext();
        var stream = extra.CreateStream();
        var buffer = extra.Allocate<double>(1000);
        var pinned = extra.AllocatePinned<double>(10);
        var timer = extra.CreateEvent();
        extra.Dispose();
        // The context's release waits for its objects: they still work.
        buffer.CopyFrom(new double[1000], stream);
        timer.Record(stream);
        timer.Synchronize();
        buffer.Dispose();
        pinned.Dispose();
        timer.Dispose();
        stream.Dispose();
        stream.Dispose();
        Assert.Equal(failuresBefore, NativeReleaseFailures.Count);
        Assert.Throws<ObjectDisposedException>(() => buffer.Pointer);
        Assert.Throws<ObjectDisposedException>(() => stream.Synchronize());
    }

    [Fact]
    public void DriverErrors_CarryTheDriversOwnText()
    {
        var context = Requirements.Gpu();
        var e = DriverStatus.Failure(CUresult.CUDA_ERROR_INVALID_VALUE, "cuTest");
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.StatusName);
        Assert.DoesNotContain("not available", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"^cuTest failed: CUDA_ERROR_INVALID_VALUE \(1\): \S", e.Message);

        var tooBig = Assert.Throws<CudaException>(() => context.Allocate<byte>(context.Device.TotalMemoryBytes * 2));
        Assert.Equal(("cuMemAlloc_v2", "CUDA_ERROR_OUT_OF_MEMORY"), (tooBig.Api, tooBig.StatusName));
        Assert.Contains($"on {context.Device.Name}", tooBig.Message, StringComparison.Ordinal);
    }
}
