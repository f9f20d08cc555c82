using CudaGenre.Core;

namespace CudaGenre.Synthesis.Tests;

public class GenreSynthesizerTests
{
    private const double Seconds = 4;

    public static TheoryData<int> AllGenres => [.. Enumerable.Range(0, Genres.Count)];

    [Fact]
    public void SameGenreAndSeed_GiveBitIdenticalSamples()
    {
        var a = GenreSynthesizer.Synthesize(6, 1234, Seconds);
        var b = GenreSynthesizer.Synthesize(6, 1234, Seconds);
        Assert.True(a.Samples.AsSpan().SequenceEqual(b.Samples), "two renders of (metal, 1234) differ");
        Assert.Equal(a.SampleRate, b.SampleRate);
    }

    [Fact]
    public void DifferentSeed_GivesDifferentSamples()
    {
        var a = GenreSynthesizer.Synthesize(6, 1234, Seconds);
        var b = GenreSynthesizer.Synthesize(6, 1235, Seconds);
        Assert.False(a.Samples.AsSpan().SequenceEqual(b.Samples));
    }

    [Fact]
    public void DifferentGenre_SameSeed_GivesDifferentSamples()
    {
        var a = GenreSynthesizer.Synthesize(6, 1234, Seconds);
        var b = GenreSynthesizer.Synthesize(9, 1234, Seconds);
        Assert.False(a.Samples.AsSpan().SequenceEqual(b.Samples));
    }

    [Fact]
    public void RenderingInParallel_GivesTheSameSamplesAsInSequence()
    {
        // Shared caches (sine table) must not make a clip depend on what else is being rendered.
        var sequential = Enumerable.Range(0, 4).Select(i => GenreSynthesizer.Synthesize(i * 2, 77, 2).Samples).ToArray();
        var parallel = new float[4][];
        Parallel.For(0, 4, i => parallel[i] = GenreSynthesizer.Synthesize(i * 2, 77, 2).Samples);
        for (var i = 0; i < 4; i++)
            Assert.True(sequential[i].AsSpan().SequenceEqual(parallel[i]), $"clip {i} differs when rendered in parallel");
    }

    [Fact]
    public void Plan_IsDeterministic_AndVariesWithTheSeed()
    {
        Assert.Equal(GenreSynthesizer.Plan(3, 5).TempoBpm, GenreSynthesizer.Plan(3, 5).TempoBpm);
        var tempos = Enumerable.Range(0, 20).Select(s => GenreSynthesizer.Plan(3, (ulong)s).TempoBpm).Distinct().Count();
        Assert.True(tempos > 15, $"only {tempos} distinct tempos in 20 disco plans");
    }

    [Theory]
    [MemberData(nameof(AllGenres))]
    public void EveryGenre_GivesAFiniteNormalizedAudibleClipOfTheRightLength(int genre)
    {
        for (ulong seed = 0; seed < 3; seed++)
        {
            var clip = GenreSynthesizer.Synthesize(genre, seed, Seconds);
            Assert.Equal(22050, clip.SampleRate);
            Assert.Equal((int)Math.Round(Seconds * 22050), clip.Samples.Length);
            Assert.All(clip.Samples, s => Assert.True(float.IsFinite(s)));
            var peak = clip.Samples.Max(Math.Abs);
            var plan = GenreSynthesizer.Plan(genre, seed, Seconds);
            Assert.InRange(peak, 0.5f, 1f);
            Assert.Equal(plan.PeakLevel, peak, 1e-4);
            var rms = Math.Sqrt(clip.Samples.Average(s => (double)s * s));
            Assert.InRange(rms, 0.02, 0.6);
        }
    }

    [Fact]
    public void OtherSampleRatesAndLengths_AreHonoured()
    {
        var clip = GenreSynthesizer.Synthesize(7, 3, 1.5, 16000);
        Assert.Equal(16000, clip.SampleRate);
        Assert.Equal(24000, clip.Samples.Length);
        Assert.All(clip.Samples, s => Assert.True(float.IsFinite(s) && Math.Abs(s) <= 1));
    }

    [Theory]
    [InlineData(-1, 1.0, 22050)]
    [InlineData(10, 1.0, 22050)]
    [InlineData(0, 0.0, 22050)]
    [InlineData(0, double.NaN, 22050)]
    [InlineData(0, 1.0, 1000)]
    public void OutOfRangeArguments_Throw(int genre, double seconds, int sampleRate)
        => Assert.Throws<ArgumentOutOfRangeException>(() => GenreSynthesizer.Synthesize(genre, 1, seconds, sampleRate));
}
