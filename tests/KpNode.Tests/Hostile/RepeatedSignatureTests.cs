using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using KpNode.Tests.Cli;
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

    /// <summary>An envelope put together wrongly: refused as bad input, naming the field and the rule.</summary>
    public static TheoryData<string, string, string> Malformed => new()
    {
        { "x5c lists the signer twice", "envelope.signatures[0].x5c[1]", "lists the same certificate twice" },
        { "two signatures by the same signer", "envelope.signatures[1]", "one signature per signer" },
        { "a bad signature before a good one by the same signer", "envelope.signatures[1]", "one signature per signer" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Deliver_refuses_an_envelope_that_repeats_a_certificate_or_signer_as_invalid_naming_the_field_and_rule(
        string repeat, string field, string rule)
    {
        var request = new DeliverRequest { Envelope = Assembled(repeat) };
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal(field, violation.Field);
        Assert.Contains(rule, violation.Description, StringComparison.Ordinal);
        // The same bytes from a gRPC stack that is not ours.
        var answer = await RawDeliverAsync(request);
        Assert.StartsWith("INVALID_ARGUMENT ", answer, StringComparison.Ordinal);
        Assert.Contains(field, answer, StringComparison.Ordinal);
        Assert.Contains(rule, answer, StringComparison.Ordinal);
        Assert.Empty((await _net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 10 })).Records);
    }

    [Fact]
    public async Task Deliver_refuses_a_signature_that_does_not_chain_to_the_partners_root_as_unauthenticated_even_before_a_good_one()
    {
        var request = new DeliverRequest { Envelope = Assembled("a bad signature by another signer before a good one") };
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("every signature an envelope carries must", e.Status.Detail, StringComparison.Ordinal);
        var answer = await RawDeliverAsync(request);
        Assert.StartsWith("UNAUTHENTICATED ", answer, StringComparison.Ordinal);
        Assert.Empty((await _net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 10 })).Records);
    }

    // A certificate signed by ZA, with its signatures repeated or mixed by hand.
    private Envelope Assembled(string repeat)
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

        return envelope;
    }

    // The request's bytes on BE's Peer API as partner ZA, through python3-grpcio; its one-line answer.
    private async Task<string> RawDeliverAsync(DeliverRequest request)
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        var file = Path.Combine(_net.Root, $"calls-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, $"/kp.v1.PeerExchangeService/Deliver {Convert.ToHexString(request.ToByteArray())}\n");
        string Pki(string code, string name) => Path.Combine(_net.PkiDir(code), name);
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "grpc_raw_calls.py"), $"127.0.0.1:{_net["BE"].Host!.PeerPort}",
             Pki("BE", "root.crt"), Pki("ZA", "node.crt"), Pki("ZA", "node.key"), file], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, $"{run.Stdout}\n{run.Stderr}");
        return run.Stdout.Trim();
    }
}
