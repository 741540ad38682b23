using Rein.Server.Storage;

namespace Rein.Server.Tests.Storage;

public sealed class SortableIdsTests
{
    [Fact]
    public void New_ManyInOneMillisecond_SortInTheOrderTheyWereMade()
    {
        // Decisions asked one after another in the same millisecond must list in that order (the decision log and
        // its cursors sort by id); with a random tail only, they came out shuffled.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_795_327_200_123);
        var ids = Enumerable.Range(0, 1000).Select(_ => SortableIds.New("dec_", at)).ToList();

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.True(SortableIds.IsValid("dec_", id), id));
    }

    [Fact]
    public void New_KeepsItsMillisecond_EvenWhenTheClockGoesBack()
    {
        var later = DateTimeOffset.FromUnixTimeMilliseconds(1_795_327_200_500);
        var earlier = later.AddMilliseconds(-200);
        var first = SortableIds.New("dec_", later);
        var second = SortableIds.New("dec_", earlier);

        // The time part is the creation time given, never bent to keep order: ids at an earlier time sort earlier.
        Assert.True(string.CompareOrdinal(second, first) < 0);
        Assert.Equal(SortableIds.New("dec_", earlier)[..14], second[..14]);
    }
}
