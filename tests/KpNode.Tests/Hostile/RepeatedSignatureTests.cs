using Google.Protobuf;
using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hostile;

/// <summary>Envelopes that repeat a certificate or a signer, as a hostile partner assembles them by hand.</summary>
public sealed class RepeatedSignatureTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    public static TheoryData<string, string> Repeats => new()
    {
        { "x5c lists the signer twice", "lists the same certificate twice" },
        { "two signatures by the same signer", "one signature per signer" },
        { "a bad signature before a good one by the same signer", "one signature per signer" },
        { "a bad signature by another signer before a good one", "every signature an envelope carries must" },
    };

    [Theory]
    [MemberData(nameof(Repeats))]
    public async Task Deliver_refuses_an_envelope_that_repeats_a_certificate_or_signer_naming_the_rule(string repeat, string rule)
    {
        using var za = _net.Credentials("ZA");
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var envelope = signer.Sign(PayloadTypes.CertificateIssued, HostileInputs.Issued("ZA", "BE").ToByteArray());
        var good = envelope.Signatures[0];
        switch (repeat)
        {
            case "x5c lists the signer twice":
                good.X5C.Add(good.X5C[0]);
                break;
            case "two signatures by the same signer":
                envelope.Signatures.Add(good.Clone());
                break;
            case "a bad signature before a good one by the same signer":
                var bad = good.Clone();
                bad.Sig = ByteString.CopyFrom(good.Sig.Span[..^1]);
                envelope.Signatures.Insert(0, bad);
                break;
            default:
                using (var be = _net.Credentials("BE"))
                using (var other = new EnvelopeSigner(be.DocumentSigning))
                    envelope.Signatures.Insert(0, other.Sign(PayloadTypes.CertificateIssued, [1, 2, 3]).Signatures[0]);
                break;
        }

        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest { Envelope = envelope }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains(rule, e.Status.Detail);
        Assert.Empty((await _net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 10 })).Records);
    }
}
