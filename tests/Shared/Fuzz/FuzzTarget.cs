// Shared by the test projects with fuzz targets (linked into each): the target, the harness, the mutators, the runner.
namespace CudaGenre.Tests.Shared;

/// <summary>
/// One fuzz target: a pure function from a file's bytes to an outcome, the exceptions its documentation allows
/// (anything else is a bug), and how many bytes it may allocate for an input of a given length.
/// </summary>
/// <param name="Name">The target's name in reports and test cases (for the Core targets also its corpus folder, Fuzz/corpus/&lt;name&gt;).</param>
/// <param name="Run">The entry point; its result is discarded.</param>
/// <param name="Allowed">The documented exceptions: the exact types (a subclass is not enough; an
/// <see cref="ArgumentOutOfRangeException"/> from deep inside is not a documented clear error).</param>
/// <param name="AllocationBound">Most bytes one case may allocate on the calling thread, from the input's length.</param>
public sealed record FuzzTarget(string Name, Action<byte[]> Run, Type[] Allowed, Func<long, long> AllocationBound)
{
    public override string ToString() => Name;
}
