namespace CudaGenre.Engine.Cpu;

/// <summary>An op that reads one tensor and writes another, pointed at its places in the arena once, when the plan is made.</summary>
internal abstract unsafe class UnaryOp : IParallelWork
{
    /// <summary>Where the op reads.</summary>
    protected float* Input { get; private set; }

    /// <summary>Where the op writes.</summary>
    protected float* Output { get; private set; }

    /// <summary>Work items of one run.</summary>
    public abstract int Items { get; }

    /// <summary>Points the op at its input and output.</summary>
    public void Bind(float* input, float* output)
    {
        Input = input;
        Output = output;
    }

    /// <inheritdoc/>
    public abstract void Execute(int item, int worker);
}
