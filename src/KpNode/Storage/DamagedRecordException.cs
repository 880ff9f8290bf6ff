namespace KpNode.Storage;

/// <summary>
/// A stored record that cannot be read, or whose signed bytes no longer verify: it is refused wherever it is touched,
/// named, and never served, answered for or counted. <see cref="Record"/> names it as an operator finds it again
/// ("certificate ZA-2026-000123", "message 0f1e… (void of certificate ZA-2026-000123)", "audit entry 42").
/// </summary>
internal sealed class DamagedRecordException(string record, string problem, Exception? inner = null, bool unverifiable = false)
    : Exception(unverifiable ? $"{record} cannot be checked: {problem}" : $"{record} is damaged in this node's store: {problem}", inner)
{
    public string Record { get; } = record;

    public string Problem { get; } = problem;

    /// <summary>
    /// Not damage: the record may be intact, but what would prove it is gone (its signer is no longer a configured
    /// partner). Refused like damage; it does not make the node unhealthy.
    /// </summary>
    public bool Unverifiable { get; } = unverifiable;
}
