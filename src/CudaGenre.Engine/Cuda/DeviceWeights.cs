using CudaGenre.Cuda.Driver;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// Every weight of a model on the device, in the layout and type its consumer wants (each op's lowering says which,
/// through <see cref="Ops.ICudaOp.AddWeights"/>): filters in the storage type in one byte buffer, linear weights and
/// every bias in FP32 in another (the head runs in FP32 in every precision). Made once per session, shared by its plans.
/// </summary>
internal sealed class DeviceWeights : IDisposable
{
    private readonly Dictionary<FusedStep, (bool Float, long Offset)> _weights;
    private readonly Dictionary<FusedStep, long> _biases;

    private DeviceWeights(DeviceBuffer<byte> filters, DeviceBuffer<float> floats, Dictionary<FusedStep, (bool, long)> weights, Dictionary<FusedStep, long> biases) =>
        (Filters, Floats, _weights, _biases) = (filters, floats, weights, biases);

    /// <summary>Convolution and depthwise filters, in the storage type.</summary>
    public DeviceBuffer<byte> Filters { get; }

    /// <summary>Linear weights and every bias, FP32.</summary>
    public DeviceBuffer<float> Floats { get; }

    /// <summary>Device address of a step's weights (a filter in the storage type, or a linear layer's FP32 matrix).</summary>
    public ulong WeightOf(FusedStep step) => _weights[step] is var (isFloat, at) && isFloat ? Floats.PointerAt(at) : Filters.PointerAt(at);

    /// <summary>Device address of a step's FP32 bias.</summary>
    public ulong BiasOf(FusedStep step) => Floats.PointerAt(_biases[step]);

    public void Dispose()
    {
        Filters.Dispose();
        Floats.Dispose();
    }

    /// <summary>Collects the weights in host memory, then uploads them in one copy per buffer.</summary>
    internal sealed class Packer(Precision precision)
    {
        private readonly List<byte> _filters = [];
        private readonly List<float> _floats = [];
        private readonly Dictionary<FusedStep, (bool, long)> _weights = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<FusedStep, long> _biases = new(ReferenceEqualityComparer.Instance);

        /// <summary>Bytes of filters so far.</summary>
        public long FilterBytes => _filters.Count;

        /// <summary>Bytes of FP32 weights and biases so far.</summary>
        public long FloatBytes => _floats.Count * 4L;

        /// <summary>A filter, converted to the storage type. Every tensor starts on a 256-byte boundary: cuDNN and cuBLASLt pick faster paths for aligned operands.</summary>
        public void Filter(FusedStep step, float[] values)
        {
            while (_filters.Count % 256 != 0)
                _filters.Add(0);
            _weights[step] = (false, _filters.Count); // a byte offset: Filters is a byte buffer
            _filters.AddRange(precision.Encode(values));
        }

        /// <summary>An FP32 weight matrix (a linear layer's).</summary>
        public void FloatWeight(FusedStep step, float[] values) => _weights[step] = (true, AppendFloats(values));

        /// <summary>An FP32 bias.</summary>
        public void Bias(FusedStep step, float[] values) => _biases[step] = AppendFloats(values);

        private long AppendFloats(float[] values)
        {
            while (_floats.Count % 64 != 0)
                _floats.Add(0f);
            var at = _floats.Count;
            _floats.AddRange(values);
            return at;
        }

        public DeviceWeights Upload(CudaContext context)
        {
            DeviceBuffer<byte>? filters = null;
            DeviceBuffer<float>? floats = null;
            try
            {
                filters = context.Allocate<byte>(Math.Max(_filters.Count, 256));
                floats = context.Allocate<float>(Math.Max(_floats.Count, 64));
                using var stream = context.CreateStream();
                filters.CopyFrom(_filters.ToArray(), stream);
                floats.CopyFrom(_floats.ToArray(), stream);
                stream.Synchronize();
                return new DeviceWeights(filters, floats, _weights, _biases);
            }
            catch
            {
                floats?.Dispose();
                filters?.Dispose();
                throw;
            }
        }
    }
}
