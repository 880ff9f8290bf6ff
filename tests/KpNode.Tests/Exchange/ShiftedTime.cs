namespace KpNode.Tests.Exchange;

/// <summary>The real clock moved by an offset a test can change, so a running node "lives" days later while its timers stay real.</summary>
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
