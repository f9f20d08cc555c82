namespace CudaGenre.Core.Tests;

public class GenresTests
{
    [Fact]
    public void Names_AreTheTenGtzanGenresInCanonicalOrder()
    {
        Assert.Equal(
            ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"],
            Genres.Names);
    }

    [Theory]
    [InlineData("blues", 0)]
    [InlineData("HipHop", 4)]
    [InlineData("rock", 9)]
    [InlineData("polka", -1)]
    public void IndexOf_IsCaseInsensitive_AndRejectsOtherNames(string name, int expected)
        => Assert.Equal(expected, Genres.IndexOf(name));

    [Fact]
    public void NameOf_RejectsLabelsOutOfRange()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Genres.NameOf(10));
}
