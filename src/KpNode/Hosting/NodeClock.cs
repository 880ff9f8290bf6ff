namespace KpNode.Hosting;

/// <summary>When this node process started, for uptime.</summary>
public sealed class NodeClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();
}
