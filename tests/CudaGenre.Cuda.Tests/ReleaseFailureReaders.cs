namespace CudaGenre.Cuda.Tests;

/// <summary>Tests that read <see cref="NativeReleaseFailures.Last"/> run alone, so no other test records in between.</summary>
[CollectionDefinition(nameof(NativeReleaseFailures), DisableParallelization = true)]
public sealed class ReleaseFailureReaders;
