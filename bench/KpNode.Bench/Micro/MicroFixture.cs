using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Bench.Common;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Bench.Micro;

/// <summary>The inputs the micro-benchmarks share: a dev PKI, a realistic certificate, its payload and signed envelope.</summary>
internal sealed class MicroFixture
{
    public MicroFixture()
    {
        Pki = DevPki.Create("AE", [], DateTimeOffset.UtcNow);
        Signer = new EnvelopeSigner(Pki.DocumentSigning);
        Draft = TradeMix.Draft(new Random(1), "AE", "IN");
        Draft.Number = "AE-2026-000001";
        Draft.ExportingParticipant = "AE";
        Draft.ExportingAuthority = "KP authority of AE";
        Draft.DateOfIssue = Today.ToString("yyyy-MM-dd");
        Draft.DateOfExpiry = Today.AddDays(60).ToString("yyyy-MM-dd");
        Issued = new CertificateIssued
        {
            Header = new MessageHeader { MessageId = Guid.CreateVersion7().ToString("D"), Sender = "AE", Receiver = "IN", CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) },
            Certificate = Draft,
        };
        Payload = Issued.ToByteArray();
        Envelope = Signer.Sign(PayloadTypes.CertificateIssued, Payload);
        EnvelopeBytes = Envelope.ToByteArray();
        Anchors = [Pki.Root];
    }

    public static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    public ParticipantCredentials Pki { get; }
    public EnvelopeSigner Signer { get; }
    public Certificate Draft { get; }
    public CertificateIssued Issued { get; }
    public byte[] Payload { get; }
    public Envelope Envelope { get; }
    public byte[] EnvelopeBytes { get; }
    public IReadOnlyCollection<System.Security.Cryptography.X509Certificates.X509Certificate2> Anchors { get; }
}
