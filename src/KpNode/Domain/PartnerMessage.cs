namespace KpNode.Domain;

/// <summary>A message exchanged with a partner, either way: the signed envelope exactly as sent or received, its receipt, and the delivery bookkeeping; the one place the node keeps those bytes.</summary>
internal sealed class PartnerMessage
{
    /// <summary>The message id; unique, so it is the document key and the duplicate detector.</summary>
    public string Id { get; set; } = "";
    public MessageDirection Direction { get; set; }
    public string Partner { get; set; } = "";
    public string PayloadType { get; set; } = "";
    public string CertificateNumber { get; set; } = "";
    /// <summary>The signed envelope bytes exactly as sent or received (stored without repeating its signer's certificate, see the store's envelope packing).</summary>
    public byte[] Envelope { get; set; } = [];
    public byte[] PayloadSha256 { get; set; } = [];
    public MessageStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    /// <summary>After this the dispatcher gives up instead of retrying.</summary>
    public DateTime DeliverBy { get; set; }
    public string? LastError { get; set; }
    public DateTime? LastAttemptAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>Inbound: the receipt we signed. Outbound: the receipt the partner signed, our proof of delivery.</summary>
    public byte[]? ReceiptEnvelope { get; set; }

    internal PartnerMessage Copy() => (PartnerMessage)MemberwiseClone();
}

/// <summary>Whether a message leaves this node or arrived from a partner.</summary>
internal enum MessageDirection
{
    Outbound = 1,
    Inbound = 2,
}

/// <summary>Where a message stands in delivery (outbound) or intake (inbound).</summary>
internal enum MessageStatus
{
    /// <summary>Outbound, waiting for its next delivery attempt.</summary>
    Pending = 1,
    /// <summary>Outbound, the partner signed an accepting receipt.</summary>
    Delivered = 2,
    /// <summary>Outbound, the partner signed a rejecting receipt.</summary>
    Rejected = 3,
    /// <summary>Outbound, past its deliver-by time without delivery.</summary>
    GivenUp = 4,
    /// <summary>Inbound, verified, stored and answered with our receipt.</summary>
    Received = 5,
    /// <summary>Outbound, signed and kept as evidence but never sent: the partner never held the certificate it is about.</summary>
    NotSent = 6,
    /// <summary>Outbound, stopped by an operator after the partner refused it; kept as evidence, never retried.</summary>
    Cancelled = 7,
}
