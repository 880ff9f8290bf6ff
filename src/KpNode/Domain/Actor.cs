namespace KpNode.Domain;

/// <summary>
/// The named person behind a change: <paramref name="DisplayName"/> ("N. Dlamini") for certificate history, both
/// names in the audit log, where the id ("n.dlamini") is what the certificate binds.
/// </summary>
internal sealed record Actor(string Id, string DisplayName, string? Office = null)
{
    /// <summary>
    /// "N. Dlamini (n.dlamini)", or just the id when the certificate gives no other name (the dev "operator"); an office's
    /// operator with the office: "A. Peeters (a.peeters, BE-ANTWERP)".
    /// </summary>
    public string AuditName => Office is null
        ? DisplayName == Id ? Id : $"{DisplayName} ({Id})"
        : DisplayName == Id ? $"{Id} ({Office})" : $"{DisplayName} ({Id}, {Office})";

    /// <summary>The name a certificate's history shows: "N. Dlamini", or "A. Peeters (BE-ANTWERP)" for an office's operator.</summary>
    public string HistoryName => Office is null ? DisplayName : $"{DisplayName} ({Office})";

    public override string ToString() => AuditName;
}
