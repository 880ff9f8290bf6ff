namespace KpNode.Domain;

/// <summary>
/// The named person behind a change: <paramref name="DisplayName"/> ("N. Dlamini") for certificate history, both
/// names in the audit log, where the id ("n.dlamini") is what the certificate binds.
/// </summary>
internal sealed record Actor(string Id, string DisplayName)
{
    /// <summary>"N. Dlamini (n.dlamini)", or just the id when the certificate gives no other name (the dev "operator").</summary>
    public string AuditName => DisplayName == Id ? Id : $"{DisplayName} ({Id})";

    public override string ToString() => AuditName;
}
