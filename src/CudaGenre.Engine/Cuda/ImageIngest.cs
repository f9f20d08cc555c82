using CudaGenre.Core.Imaging;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels.Launchers;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// A plan's image input: 8-bit RGB pixels go up as they are, in one copy, and <c>preprocess.cu</c> resizes and
/// normalizes each run of same-sized images on the GPU straight into the plan's input (NHWC, storage type), bit for
/// bit the CPU's <see cref="ImagePreprocessor"/>. Each image size's resize tables are uploaded once; the four most
/// recent sizes are kept, so memory stays bounded however the sizes vary.
/// </summary>
internal sealed class ImageIngest(CudaContext context, CudaStream stream, KernelStorage storage, KernelSet kernels) : IDisposable
{
    private const int KeptSizes = 4;
    private readonly CudaContext _context = context;
    private readonly CudaStream _stream = stream;
    private readonly KernelStorage _storage = storage;
    private readonly KernelSet _kernels = kernels;
    private readonly List<ResizeTables> _tables = []; // least recently used first
    private PixelStaging? _pixels;

    /// <summary>Queues the upload and preprocessing of <paramref name="images"/> into the NHWC input at <paramref name="input"/>.</summary>
    public void Enqueue(IReadOnlyList<RgbImage> images, ImagePreprocessor preprocessor, ulong input)
    {
        var bytes = images.Sum(i => (long)i.Pixels.Length);
        if (_pixels is null || _pixels.Host.Count < bytes)
        {
            _pixels?.Dispose();
            _pixels = null;
            _pixels = new PixelStaging(_context, bytes);
        }
        var host = _pixels.Host.AsSpan();
        long at = 0;
        foreach (var image in images)
        {
            image.Pixels.CopyTo(host[(int)at..]);
            at += image.Pixels.Length;
        }
        _pixels.Device.EnqueueCopyFrom(_pixels.Host, _stream);

        var settings = preprocessor.Settings;
        var perImage = (ulong)((long)settings.Height * settings.Width * 3 * _storage.Bytes());
        at = 0;
        for (var first = 0; first < images.Count;)
        {
            var (width, height) = (images[first].Width, images[first].Height);
            var count = 1;
            while (first + count < images.Count && images[first + count].Width == width && images[first + count].Height == height)
                count++;
            TablesFor(width, height, preprocessor).Enqueue(_pixels.Device.PointerAt(at), count, input + ((ulong)first * perImage));
            at += (long)count * width * height * 3;
            first += count;
        }
    }

    /// <summary>The resize tables for one image size, made on first use.</summary>
    private ResizeTables TablesFor(int width, int height, ImagePreprocessor preprocessor)
    {
        var index = _tables.FindIndex(t => t.Width == width && t.Height == height && t.Settings == preprocessor.Settings);
        if (index >= 0)
        {
            var found = _tables[index];
            _tables.RemoveAt(index);
            _tables.Add(found);
            return found;
        }
        if (_tables.Count == KeptSizes)
        {
            _tables[0].Dispose();
            _tables.RemoveAt(0);
        }
        var tables = new ResizeTables(this, width, height, preprocessor);
        _tables.Add(tables);
        return tables;
    }

    public void Dispose()
    {
        foreach (var tables in _tables)
            tables.Dispose();
        _tables.Clear();
        _pixels?.Dispose();
    }

    /// <summary>Pinned host and device buffers for a batch's pixels (grown when a batch needs more).</summary>
    private sealed class PixelStaging : IDisposable
    {
        public PixelStaging(CudaContext context, long bytes)
        {
            Host = context.AllocatePinned<byte>(bytes);
            try
            {
                Device = context.Allocate<byte>(bytes);
            }
            catch
            {
                Host.Dispose();
                throw;
            }
        }

        public PinnedHostBuffer<byte> Host { get; }

        public DeviceBuffer<byte> Device { get; }

        public void Dispose()
        {
            Device.Dispose();
            Host.Dispose();
        }
    }

    /// <summary>One image size's resize tables on the device, and the preprocess launch that uses them.</summary>
    private sealed class ResizeTables : IDisposable
    {
        private readonly List<IDisposable> _buffers = [];
        private readonly ImageIngest _owner;
        private readonly CudaKernel _kernel;
        private readonly PreparedLaunch _launch;

        public ResizeTables(ImageIngest owner, int width, int height, ImagePreprocessor normalize)
        {
            (_owner, Width, Height, Settings) = (owner, width, height, normalize.Settings);
            try
            {
                var across = new ResizeFilter(width, Settings.Width);
                var down = new ResizeFilter(height, Settings.Height);
                DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> values) where T : unmanaged
                {
                    var buffer = owner._context.Allocate<T>(Math.Max(values.Length, 1));
                    _buffers.Add(buffer);
                    buffer.CopyFrom(values, owner._stream);
                    return buffer;
                }
                var (hFirst, hCount, hWeights) = (Upload(across.FirstTaps), Upload(across.TapCounts), Upload(across.Weights));
                var (vFirst, vCount, vWeights) = (Upload(down.FirstTaps), Upload(down.TapCounts), Upload(down.Weights));
                var (scale, offset) = (normalize.ChannelScale, normalize.ChannelOffset);
                // The pixels, the output and the image count change per call; Enqueue retargets them.
                _launch = PreprocessKernels.Launch(owner._storage, src: 0, rowPitch: (long)width * 3, imageStride: (long)width * height * 3, pixelBytes: 3,
                    hFirst.Pointer, hCount.Pointer, hWeights.Pointer, across.MaxTaps, vFirst.Pointer, vCount.Pointer, vWeights.Pointer, down.MaxTaps,
                    scale[0], scale[1], scale[2], offset[0], offset[1], offset[2], y: 0, nBatch: 1, Settings.Height, Settings.Width);
                _kernel = owner._kernels.Get(_launch.File, _launch.EntryPoint);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int Width { get; }

        public int Height { get; }

        public PreprocessSettings Settings { get; }

        /// <summary>Queues the preprocessing of <paramref name="images"/> consecutive images of this size at <paramref name="pixels"/> into <paramref name="output"/>.</summary>
        public void Enqueue(ulong pixels, int images, ulong output)
        {
            var grid = PreprocessKernels.Retarget(_launch, pixels, output, images, Settings.Height, Settings.Width);
            _kernel.Launch(grid, _launch.Block, _owner._stream, _launch.Arguments);
        }

        public void Dispose()
        {
            foreach (var buffer in _buffers)
                buffer.Dispose();
        }
    }
}
