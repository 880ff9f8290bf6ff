using KpNode.Storage;

namespace KpNode.Tests.Exchange;

/// <summary>
/// Holds a node's store with a write of the test's own, so that every durable write the node makes waits for its
/// turn until <see cref="ReleaseAsync"/>: deliveries to that node stay in flight meanwhile.
/// </summary>
internal sealed class HeldStore : IAsyncDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly Task _holding;

    private HeldStore(INodeStore store)
    {
        using var entered = new ManualResetEventSlim();
        _holding = Task.Factory.StartNew(() => store.Write(w =>
        {
            entered.Set();
            _release.Wait(TimeSpan.FromSeconds(30));
            return 0;
        }), TaskCreationOptions.LongRunning);
        if (!entered.Wait(TimeSpan.FromSeconds(10)))
            throw new TimeoutException("The store did not let the holding write in within 10 s.");
    }

    public static HeldStore Hold(INodeStore store) => new(store);

    public async Task ReleaseAsync()
    {
        _release.Set();
        await _holding;
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        _release.Dispose();
    }
}
