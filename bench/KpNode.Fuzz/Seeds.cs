using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Cli;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;

namespace KpNode.Fuzz;

/// <summary>
/// The seed corpus: valid messages BE's node would send ZA's, signed with the generated PKI. Built the same way in
/// every process of a day (fixed numbers and message ids), so the corpus one process writes matches the state the
/// next one prepares.
/// </summary>
internal sealed class Seeds(EnvelopeSigner partnerSigner, DateTime utcNow)
{
    private readonly string _today = utcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    private readonly string _year = utcNow.Year.ToString(CultureInfo.InvariantCulture);

    /// <summary>The certificate ZA issued to BE before any input (the one confirmations and questions are about).</summary>
    public Certificate? IssuedByUs { get; private set; }

    /// <summary>BE's certificate that ZA accepted before any input (the one voids are about).</summary>
    public CertificateIssued HeldFromPartner => Issued(900_001, 1);

    /// <summary>ZA issues one certificate to BE and accepts one from BE.</summary>
    public async Task PrepareAsync(CertificateWorkflow workflow, Partner partner)
    {
        var draft = DemoDrafts.Draft(PeerApiTarget.Us, PeerApiTarget.Partner);
        draft.DateOfIssue = _today;
        draft.DateOfExpiry = utcNow.AddDays(30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var (held, _) = await workflow.IssueAsync(CertificateMapping.ToDraft(draft), new KpNode.Domain.Actor("fuzz", "fuzz"), CancellationToken.None);
        draft.Number = held.Number;
        draft.ExportingParticipant = PeerApiTarget.Us;
        IssuedByUs = draft;
        var answer = await workflow.AcceptDeliveryAsync(partner, HeldFromPartnerEnvelope(), CancellationToken.None);
        if (!answer.Accepted)
            throw new InvalidOperationException("ZA refused BE's seed certificate: the harness's seeds no longer match the rules");
    }

    /// <summary>Each seed as the fuzzer's input (mode byte first), by name.</summary>
    public IEnumerable<(string Name, byte[] Input)> All()
    {
        var issued = Issued(900_002, 2);
        var voided = new CertificateVoided
        {
            Header = Header(3),
            CertificateNumber = HeldFromPartner.Certificate.Number,
            Reason = "issued in error",
            DateVoided = _today,
        };
        var confirmation = new ImportConfirmation
        {
            Header = Header(4),
            CertificateNumber = IssuedByUs?.Number ?? "",
            Outcome = ImportOutcome.Confirmed,
            ParcelsReceived = IssuedByUs?.Parcels ?? 1,
            CaratsReceivedHundredths = IssuedByUs?.CaratsHundredths ?? 1,
            ValueReceivedUsdCents = IssuedByUs?.ValueUsdCents ?? 1,
            DateOfReceipt = _today,
            Remarks = "sealed parcel intact",
        };
        var receipt = new Receipt
        {
            MessageId = Id(5),
            PayloadSha256 = ByteString.CopyFrom(new byte[32]),
            Sender = PeerApiTarget.Us,
            Receiver = PeerApiTarget.Partner,
            ReceivedAt = Timestamp.FromDateTime(utcNow),
            Outcome = ReceiptOutcome.Accepted,
        };
        var messages = new (string Name, string PayloadType, IMessage Payload)[]
        {
            ("certificate-issued", PayloadTypes.CertificateIssued, issued),
            ("certificate-voided", PayloadTypes.CertificateVoided, voided),
            ("import-confirmation", PayloadTypes.ImportConfirmation, confirmation),
            ("receipt", PayloadTypes.Receipt, receipt),
        };
        foreach (var (name, payloadType, payload) in messages)
        {
            var request = new DeliverRequest { Envelope = partnerSigner.Sign(payloadType, payload.ToByteArray()) };
            yield return ($"deliver-{name}", Input(PeerApiTarget.Mode.Deliver, request.ToByteArray()));
            var choice = (byte)Array.IndexOf(PeerApiTarget.PayloadTypeChoices, payloadType);
            yield return ($"signed-{name}", Input(PeerApiTarget.Mode.SignedDeliver, [choice, .. payload.ToByteArray()]));
        }

        yield return ("authenticity-question", Input(PeerApiTarget.Mode.CheckAuthenticity, Question().ToByteArray()));
        yield return ("packing-envelope", Input(PeerApiTarget.Mode.Packing, partnerSigner.Sign(PayloadTypes.CertificateIssued, issued.ToByteArray()).ToByteArray()));
    }

    /// <summary>BE's question whether ZA's certificate is genuine, with the figures on it.</summary>
    public CheckAuthenticityRequest Question()
    {
        var c = IssuedByUs ?? new Certificate();
        var question = new CheckAuthenticityRequest
        {
            CertificateNumber = c.Number,
            Parcels = c.Parcels,
            CaratsHundredths = c.CaratsHundredths,
            ValueUsdCents = c.ValueUsdCents,
            Exporter = c.Exporter,
            Importer = c.Importer,
            DateOfIssue = c.DateOfIssue,
            DateOfExpiry = c.DateOfExpiry,
        };
        question.HsLines.Add(c.HsLines);
        return question;
    }

    /// <summary>BE's signed delivery of <see cref="HeldFromPartner"/>.</summary>
    public Envelope HeldFromPartnerEnvelope() => partnerSigner.Sign(PayloadTypes.CertificateIssued, HeldFromPartner.ToByteArray());

    private CertificateIssued Issued(int serial, int id)
    {
        var draft = DemoDrafts.Draft(PeerApiTarget.Partner, PeerApiTarget.Us);
        draft.Number = $"{PeerApiTarget.Partner}-{_year}-{serial}";
        draft.ExportingParticipant = PeerApiTarget.Partner;
        draft.ExportingAuthority = $"KP authority of {PeerApiTarget.Partner}";
        draft.DateOfIssue = _today;
        draft.DateOfExpiry = utcNow.AddDays(30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new CertificateIssued { Header = Header(id), Certificate = draft };
    }

    private MessageHeader Header(int id) => new()
    {
        MessageId = Id(id),
        Sender = PeerApiTarget.Partner,
        Receiver = PeerApiTarget.Us,
        CreatedAt = Timestamp.FromDateTime(utcNow.Date),
    };

    private static string Id(int n) => $"0193f000-0000-7000-8000-{n:D12}";

    private static byte[] Input(PeerApiTarget.Mode mode, byte[] rest) => [(byte)mode, .. rest];
}
