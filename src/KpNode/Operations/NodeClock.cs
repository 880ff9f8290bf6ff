namespace KpNode.Operations;

/// <summary>When this node process started, for uptime.</summary>
internal sealed class NodeClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();
}
