namespace KpNode.Domain;

/// <summary>Where a certificate stands in its lifecycle, on the exporter's or the importer's side.</summary>
internal enum CertificateStatus
{
    /// <summary>Exporter: signed and stored; delivery to the importer pending.</summary>
    Issued = 1,
    /// <summary>Exporter: the importer's node signed a receipt.</summary>
    Delivered = 2,
    /// <summary>Exporter: the importer's node refused it with a signed reason.</summary>
    Rejected = 3,
    /// <summary>Importer: received, verified and stored.</summary>
    Received = 4,
    Confirmed = 5,
    /// <summary>Confirmed with figures that differ from the certificate.</summary>
    Discrepancy = 6,
    Detained = 7,
    Voided = 8,
    /// <summary>Past expiry without confirmation.</summary>
    Expired = 9,
    /// <summary>Exporter: delivery given up (e.g. the certificate expired undelivered).</summary>
    Undeliverable = 10,
}

/// <summary>Whether this node issued the certificate or received it from a partner.</summary>
internal enum CertificateDirection
{
    Outbound = 1,
    Inbound = 2,
}
