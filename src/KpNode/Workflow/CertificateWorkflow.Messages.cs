using System.Collections.Frozen;
using Google.Protobuf;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    /// <summary>How the workflow names a business message and judges one that arrives; a new message type is one row here.</summary>
    /// <param name="Word">The message in the audit log's actions ("void.accepted").</param>
    /// <param name="Noun">The message in a certificate's history ("acknowledged the void").</param>
    /// <param name="Arrived">How a delivery of it is parsed, authorized and judged; null for a message a partner may not deliver.</param>
    private sealed record MessageKind(string Word, string Noun, Func<CertificateWorkflow, Partner, VerifiedEnvelope, Inbound>? Arrived);

    private static readonly FrozenDictionary<string, MessageKind> Kinds = new Dictionary<string, MessageKind>
    {
        [PayloadTypes.CertificateIssued] = new("certificate", "certificate",
            (wf, partner, v) => wf.CertificateArrived(partner, Parse(CertificateIssued.Parser, v), ParticipantIdentity.OfficeFromCertificate(v.SignerCertificate))),
        [PayloadTypes.CertificateVoided] = new("void", "void",
            (wf, partner, v) => wf.VoidArrived(partner, Parse(CertificateVoided.Parser, v))),
        [PayloadTypes.ImportConfirmation] = new("confirmation", "import confirmation",
            (wf, partner, v) => wf.ConfirmationArrived(partner, Parse(ImportConfirmation.Parser, v))),
        [PayloadTypes.RevocationNotice] = new("revocation", "revocation notice",
            (wf, partner, v) => wf.NoticeArrived(partner, Parse(RevocationNotice.Parser, v))),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static MessageKind KindOf(string payloadType) => Kinds[payloadType];

    /// <summary>The payload types a partner may deliver to us, and so the ones we deliver: what the pre-flight hello compares.</summary>
    public static IReadOnlyList<string> DeliverablePayloadTypes { get; } =
        [.. Kinds.Where(k => k.Value.Arrived is not null).Select(k => k.Key).Order(StringComparer.Ordinal)];

    private static T Parse<T>(MessageParser<T> parser, VerifiedEnvelope verified) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(verified.Payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw WorkflowException.Invalid("payload", $"is not a {typeof(T).Name} message as its payload type says ({e.Message})");
        }
    }
}
