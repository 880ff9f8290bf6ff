namespace KpNode.Domain;

/// <summary>
/// One broken certificate rule: the field as the wire contract spells it (e.g.
/// <c>hs_lines[1].hs_code</c>) and the rule in words a KP officer understands.
/// </summary>
internal sealed record Violation(string Field, string Rule)
{
    public override string ToString() => $"{Field}: {Rule}";
}
