using Google.Protobuf;
using KpNode.Fuzz;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hostile;

/// <summary>The fuzz target of bench/KpNode.Fuzz (ZA's node in process, BE calling), started once for these tests.</summary>
public sealed class FuzzTargetFixture : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), $"kpnode-fuzz-test-{Guid.NewGuid():N}");

    internal PeerApiTarget Target { get; private set; } = null!;

    public async Task InitializeAsync() => Target = await PeerApiTarget.CreateAsync(_work);

    public Task DisposeAsync()
    {
        Target.Dispose();
        Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Seeds of the Peer API fuzzer (bench/KpNode.Fuzz, bench/RESULTS.md) damaged by hand where a blind fuzzer rarely
/// lands: inside the signer's certificate, behind a valid signature, in the stored form. Each must end in the refusal
/// or answer named, never an exception the node would turn into UNKNOWN. The fuzzer's runs found no crash; a
/// crashing input it finds joins this list. Malformed request frames are HostileInputSweepTests' part.
/// </summary>
public sealed class FuzzRegressionTests(FuzzTargetFixture fixture) : IClassFixture<FuzzTargetFixture>
{
    private PeerApiTarget Target => fixture.Target;

    public static TheoryData<string, string> Inputs => new()
    {
        { "a signed delivery cut off inside the signer's certificate", nameof(Outcome.NotAValidMessage) },
        { "a well-formed envelope whose signer certificate is cut short", nameof(Outcome.Refused) },
        { "a signed certificate payload nested 200 groups deep", nameof(Outcome.Refused) },
        { "a signed receipt payload under the certificate-issued type", nameof(Outcome.Refused) },
        { "a signed certificate with every figure at its 64-bit or 32-bit extreme", nameof(Outcome.Answered) },
        { "a signed void of a certificate BE never issued", nameof(Outcome.Answered) },
        { "a question with a 100,000-character number and negative figures", nameof(Outcome.Answered) },
        { "a stored envelope whose payload carries the signer certificate's bytes", nameof(Outcome.RoundTripped) },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A_hand_damaged_seed_ends_in_its_refusal_or_answer_never_a_crash(string input, string expected)
    {
        var outcome = Target.Run(Build(input));

        Assert.Equal(expected, outcome.ToString());
    }

    private byte[] Build(string input)
    {
        var seeds = Target.Seeds;
        var issued = new CertificateIssued(seeds.HeldFromPartner)
        {
            Header = new MessageHeader(seeds.HeldFromPartner.Header) { MessageId = Guid.CreateVersion7().ToString("D") },
        };
        var envelope = Target.PartnerSigner.Sign(PayloadTypes.CertificateIssued, issued.ToByteArray());
        var der = envelope.Signatures[0].X5C[0];
        switch (input)
        {
            case "a signed delivery cut off inside the signer's certificate":
                var frame = new DeliverRequest { Envelope = envelope }.ToByteArray();
                var inside = frame.AsSpan().IndexOf(der.Span) + der.Length / 2;
                return Deliver(frame[..inside]);
            case "a well-formed envelope whose signer certificate is cut short":
                envelope.Signatures[0].X5C[0] = ByteString.CopyFrom(der.Span[..^40]);
                envelope.Signatures[0].Keyid = "";
                return Deliver(new DeliverRequest { Envelope = envelope }.ToByteArray());
            case "a signed certificate payload nested 200 groups deep":
                // Unknown field 99 as start and end groups: well-formed but for its depth, which the parser limits to 100.
                byte[] open = [0x9B, 0x06], close = [0x9C, 0x06];
                return Signed(PayloadTypes.CertificateIssued, [.. Enumerable.Repeat(open, 200).SelectMany(b => b), .. Enumerable.Repeat(close, 200).SelectMany(b => b)]);
            case "a signed receipt payload under the certificate-issued type":
                return Signed(PayloadTypes.CertificateIssued, new Receipt { MessageId = issued.Header.MessageId, Sender = "ZA", Receiver = "BE" }.ToByteArray());
            case "a signed certificate with every figure at its 64-bit or 32-bit extreme":
                issued.Certificate.Parcels = int.MinValue;
                issued.Certificate.CaratsHundredths = long.MaxValue;
                issued.Certificate.ValueUsdCents = long.MinValue;
                foreach (var line in issued.Certificate.HsLines)
                    (line.CaratsHundredths, line.ValueUsdCents) = (long.MaxValue, long.MaxValue);
                return Signed(PayloadTypes.CertificateIssued, issued.ToByteArray());
            case "a signed void of a certificate BE never issued":
                var voided = new CertificateVoided { Header = issued.Header, CertificateNumber = "BE-1999-000000", Reason = "x", DateVoided = "1999-01-01" };
                return Signed(PayloadTypes.CertificateVoided, voided.ToByteArray());
            case "a question with a 100,000-character number and negative figures":
                var question = seeds.Question();
                question.CertificateNumber = new string('9', 100_000);
                (question.Parcels, question.CaratsHundredths, question.ValueUsdCents) = (-1, -1, long.MinValue);
                return [(byte)PeerApiTarget.Mode.CheckAuthenticity, .. question.ToByteArray()];
            case "a stored envelope whose payload carries the signer certificate's bytes":
                var carrying = Target.PartnerSigner.Sign(PayloadTypes.CertificateIssued, [.. der.Span, .. der.Span]);
                return [(byte)PeerApiTarget.Mode.Packing, .. carrying.ToByteArray()];
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input, "no such input");
        }
    }

    private static byte[] Deliver(byte[] frame) => [(byte)PeerApiTarget.Mode.Deliver, .. frame];

    private static byte[] Signed(string payloadType, byte[] payload) =>
        [(byte)PeerApiTarget.Mode.SignedDeliver, (byte)Array.IndexOf(PeerApiTarget.PayloadTypeChoices, payloadType), .. payload];
}
