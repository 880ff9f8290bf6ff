namespace KpNode.Tests.Storage;

public sealed class SequenceTests : IDisposable
{
    private readonly StoreFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Each_sequence_counts_on_its_own_from_one_and_continues_after_reopen()
    {
        using (var store = _folder.Open())
        {
            Assert.Equal(1, store.Write(w => w.NextSequence("ZA-2025")));
            Assert.Equal(2, store.Write(w => w.NextSequence("ZA-2025")));
            Assert.Equal(1, store.Write(w => w.NextSequence("ZA-2026")));
            Assert.Equal(3, store.Write(w => w.NextSequence("ZA-2025")));
        }

        using var reopened = _folder.Open();
        Assert.Equal(4, reopened.Write(w => w.NextSequence("ZA-2025")));
        Assert.Equal(2, reopened.Write(w => w.NextSequence("ZA-2026")));
    }

    [Fact]
    public void A_number_taken_in_a_rolled_back_write_is_handed_out_again()
    {
        using var store = _folder.Open();
        store.Write(w => w.NextSequence("ZA-2025"));

        Assert.Throws<InvalidOperationException>(() => store.Write<long>(w =>
        {
            w.NextSequence("ZA-2025");
            throw new InvalidOperationException("validation failed");
        }));

        Assert.Equal(2, store.Write(w => w.NextSequence("ZA-2025")));
    }
}
