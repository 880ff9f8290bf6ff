namespace KpNode.Tests.Exchange;

/// <summary>
/// The real clock moved by an offset a test can change, so a running node "lives" days later while its timers stay
/// real. Not a FakeTimeProvider: under one, a running node's timers (Polly's retry delays and timeouts, the lane's
/// waits, the expiry monitor) fire only when the test advances it, and these tests need the node running on its own.
/// </summary>
internal sealed class ShiftedTime : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
