namespace KpNode.Exchange;

/// <summary>The one place message ids come from: time-ordered UUIDv7, so ids sort by creation.</summary>
public sealed class MessageIds(TimeProvider time)
{
    public string Next() => Guid.CreateVersion7(time.GetUtcNow()).ToString("D");

    /// <summary>A message id as a partner may send it: a UUID in canonical form.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: 36 } && Guid.TryParseExact(id, "D", out var g) && g.ToString("D") == id;
}
