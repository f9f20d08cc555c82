using System.Reflection;
using CudaGenre.Core;

namespace CudaGenre.Synthesis.Tests;

public class GenreStyleTests
{
    [Fact]
    public void Table_HasOneStylePerGenre_InLabelOrder()
        => Assert.Equal(Genres.Names, GenreStyles.All.Select(s => s.Genre));

    [Fact]
    public void EveryRange_IsOrdered()
    {
        var ranges = typeof(GenreStyle).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(ValueRange)).ToList();
        Assert.NotEmpty(ranges);
        foreach (var style in GenreStyles.All)
        {
            foreach (var property in ranges)
            {
                var range = (ValueRange)property.GetValue(style)!;
                Assert.True(range.Min <= range.Max, $"{style.Genre}.{property.Name} = [{range.Min}, {range.Max}]");
            }
        }
    }

    [Theory]
    [InlineData("rock", "metal", nameof(GenreStyle.Drive))]
    [InlineData("rock", "metal", nameof(GenreStyle.TempoBpm))]
    [InlineData("disco", "pop", nameof(GenreStyle.TempoBpm))]
    [InlineData("hiphop", "reggae", nameof(GenreStyle.TempoBpm))]
    [InlineData("blues", "jazz", nameof(GenreStyle.Swing))]
    [InlineData("blues", "country", nameof(GenreStyle.Swing))]
    public void NeighbouringGenres_Overlap(string a, string b, string property)
    {
        var p = typeof(GenreStyle).GetProperty(property)!;
        var ra = (ValueRange)p.GetValue(GenreStyles.For(Genres.IndexOf(a)))!;
        var rb = (ValueRange)p.GetValue(GenreStyles.For(Genres.IndexOf(b)))!;
        Assert.True(ra.Min < rb.Max && rb.Min < ra.Max, $"{a} and {b} do not overlap in {property}");
    }

    [Fact]
    public void FourOnTheFloor_IsSharedByDiscoAndPop()
    {
        Assert.True(GenreStyles.For(Genres.IndexOf("disco")).Grooves.ProbabilityOf(DrumGrooves.FourOnTheFloor) > 0.4);
        Assert.True(GenreStyles.For(Genres.IndexOf("pop")).Grooves.ProbabilityOf(DrumGrooves.FourOnTheFloor) > 0.1);
    }

    [Fact]
    public void DrumGroove_ReadsTheGridNotation()
    {
        var groove = new DrumGroove("test", (DrumVoice.Kick, "x...5...9......."));
        Assert.Equal(1, groove.Probability(DrumVoice.Kick, 0));
        Assert.Equal(0, groove.Probability(DrumVoice.Kick, 1));
        Assert.Equal(0.5, groove.Probability(DrumVoice.Kick, 4));
        Assert.Equal(0.9, groove.Probability(DrumVoice.Kick, 8));
        Assert.Equal(0, groove.Probability(DrumVoice.Snare, 0));
        Assert.False(groove.IsSilent);
        Assert.True(DrumGrooves.None.IsSilent);
    }

    [Theory]
    [InlineData("x...")]
    [InlineData("x...x...x...x..o")]
    public void DrumGroove_RejectsMalformedGrids(string grid)
        => Assert.Throws<ArgumentException>(() => new DrumGroove("bad", (DrumVoice.Kick, grid)));

    [Fact]
    public void WeightedChoice_DrawsInProportionToTheWeights()
    {
        var choice = new WeightedChoice<string>(("a", 1), ("b", 3));
        var random = new SeededRandom(5);
        var b = Enumerable.Range(0, 20000).Count(_ => choice.Draw(random) == "b");
        Assert.InRange(b / 20000.0, 0.73, 0.77);
        Assert.Equal(0.75, choice.ProbabilityOf("b"), 12);
    }

    [Fact]
    public void WeightedChoice_RejectsAllZeroWeights()
        => Assert.Throws<ArgumentException>(() => new WeightedChoice<int>((1, 0), (2, 0)));
}
