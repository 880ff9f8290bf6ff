using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

/// <summary>
/// The certificate workflow: what we issue, void and confirm, what partners deliver, and the receipts that
/// prove each delivery. Every state change and the message it sends are one durable transaction.
/// </summary>
internal sealed partial class CertificateWorkflow(
    NodeConfig config,
    INodeStore store,
    EnvelopeSigner signer,
    EnvelopeVerifier verifier,
    NodeCredentials credentials,
    RevokedKeys revoked,
    StoredEvidence evidence,
    Partners partners,
    MessageIds ids,
    IDeliverySignal delivery,
    PeerChannels channels,
    TimeProvider time,
    ILogger<CertificateWorkflow> logger)
{
    /// <summary>How long a void or an import confirmation is retried; these outlive the certificate's expiry.</summary>
    public static readonly TimeSpan FollowUpDeliveryWindow = TimeSpan.FromDays(90);

    private readonly TradePolicy _policy = new(config.Options.TradePolicy.RefusedOrigins, config.Options.TradePolicy.RefuseMixedOrigin);

    private string Us => config.Participant;

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>A certificate is valid through its date of expiry (UTC).</summary>
    public static DateTime EndOfDay(DateOnly date) => date.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);

    private MessageHeader Header(string messageId, string receiver, DateTimeOffset now) => new()
    {
        MessageId = messageId,
        Sender = Us,
        Receiver = receiver,
        CreatedAt = Timestamp.FromDateTimeOffset(now),
    };

    /// <summary>
    /// Signs a message and stores it within the caller's transaction: in the outbox, or with <paramref name="send"/>
    /// false as evidence only (<see cref="MessageStatus.NotSent"/>). Returns the message as written, its envelope whole.
    /// </summary>
    private PartnerMessage QueueOutbound(IStoreWriter w, string partner, string payloadType, string messageId, IMessage payload,
        string certificateNumber, DateTime now, DateTime deliverBy, bool send = true, string? office = null)
    {
        RefuseIfOwnKeyRevoked(payloadType);
        var payloadBytes = payload.ToByteArray();
        var envelope = signer.Sign(payloadType, payloadBytes, office).ToByteArray();
        var message = new PartnerMessage
        {
            Id = messageId,
            Direction = MessageDirection.Outbound,
            Partner = partner,
            PayloadType = payloadType,
            CertificateNumber = certificateNumber,
            Envelope = envelope,
            PayloadSha256 = SHA256.HashData(payloadBytes),
            Status = send ? MessageStatus.Pending : MessageStatus.NotSent,
            NextAttemptAt = now,
            DeliverBy = deliverBy,
            CreatedAt = now,
            CompletedAt = send ? null : now,
        };
        w.InsertMessage(message);
        return message;
    }

    private byte[] SignReceipt(string messageId, byte[] digest, string sender, DateTimeOffset now,
        ReceiptOutcome outcome, ReceiptReason reason, string text)
    {
        var receipt = new Receipt
        {
            MessageId = messageId,
            PayloadSha256 = ByteString.CopyFrom(digest),
            Sender = sender,
            Receiver = Us,
            ReceivedAt = Timestamp.FromDateTimeOffset(now),
            Outcome = outcome,
            Reason = reason,
            ReasonText = text,
        };
        return signer.Sign(PayloadTypes.Receipt, receipt.ToByteArray()).ToByteArray();
    }

    private static DateOnly DateOf(DateTime utc) => DateOnly.FromDateTime(utc);

    private static string Show(string code) => code.Length == 0 ? "nobody" : code;

    /// <summary>A lifecycle refusal as the workflow reports it to the person who asked.</summary>
    private static WorkflowException Refused(Violation refusal) => new(FailureKind.FailedPrecondition, refusal.ToString());
}

/// <summary>A partner's answer that is not valid proof of receipt; the delivery is retried.</summary>
internal sealed class InvalidReceiptException(string message) : Exception(message);

/// <summary>Lets the workflow wake the outbox dispatcher instead of having it poll.</summary>
internal interface IDeliverySignal
{
    /// <summary>A new message for this partner is durable in the outbox.</summary>
    void MessageQueued(string partner);

    /// <summary>The partner just contacted us: it is up, so try its backlog now.</summary>
    void PartnerSeen(string partner);
}
