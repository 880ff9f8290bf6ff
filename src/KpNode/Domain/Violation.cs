namespace KpNode.Domain;

/// <summary>
/// One broken certificate rule: the field as the user edits it in the draft JSON (e.g.
/// <c>hsLines[1].hsCode</c>, proto JSON names) and the rule in words a KP officer understands.
/// </summary>
internal sealed record Violation(string Field, string Rule)
{
    /// <summary>Violations a refusal lists one by one; the rest are counted, so that an error always fits a gRPC status.</summary>
    public const int MaxListed = 50;

    public override string ToString() => $"{Field}: {Rule}";
}
