using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using KpNode.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

/// <summary>What a node refuses to issue: an expired certificate, another authority's name, a seal still in use.</summary>
public sealed class IssueRulesTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private async Task<Dictionary<string, string>> RefusedAsync(Certificate draft)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            _net["ZA"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        return e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.ToDictionary(v => v.Field, v => v.Description);
    }

    [Fact]
    public async Task An_already_expired_certificate_is_refused_at_issue_and_nothing_is_signed()
    {
        var draft = DemoDrafts.Draft("ZA", "BE");
        draft.DateOfIssue = "2020-01-01";
        draft.DateOfExpiry = "2020-03-01";

        var violations = await RefusedAsync(draft);

        Assert.Contains("2020-03-01", violations["dateOfExpiry"]);
        Assert.Contains("after today", violations["dateOfExpiry"]);
        Assert.Contains("2020-01-01", violations["dateOfIssue"]);
        Assert.Empty(_net.Store("ZA").ReadAudit(0, 10));
    }

    [Fact]
    public async Task The_exporting_authority_is_the_configured_one_filled_in_when_empty_and_another_is_refused()
    {
        var issued = await _net.IssueAsync("ZA", "BE", d => d.ExportingAuthority = "");
        Assert.Equal("KP authority of ZA", issued.Certificate.ExportingAuthority);

        var draft = DemoDrafts.Draft("ZA", "BE");
        draft.ExportingAuthority = "Anybody I like, Inc.";
        var violations = await RefusedAsync(draft);
        Assert.Equal("must be KP authority of ZA (this node's competent authority) or left empty", violations["exportingAuthority"]);
    }

    [Fact]
    public async Task A_certificate_naming_an_authority_other_than_the_one_its_partner_announced_is_refused_with_a_signed_reason()
    {
        using var za = _net.Credentials("ZA");
        var message = KpNode.Tests.Hostile.HostileInputs.Issued("ZA", "BE", d => d.ExportingAuthority = "Anybody I like, Inc.");
        var draft = message.Certificate;
        using var signer = new EnvelopeSigner(za.DocumentSigning);

        var response = await _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"))
            .DeliverAsync(new DeliverRequest { Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()) });

        var receipt = Receipt.Parser.ParseFrom(new EnvelopeVerifier(new TrustChain()).Verify(response.Receipt, [_net.RootOf("BE")], DateTimeOffset.UtcNow).Payload.Span);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Equal(ReceiptReason.InvalidCertificate, receipt.Reason);
        Assert.Contains("exportingAuthority: 'Anybody I like, Inc.'", receipt.ReasonText);
        Assert.Contains("'KP authority of ZA'", receipt.ReasonText);
        Assert.Contains("Node:Partners:0:ExportingAuthority", receipt.ReasonText);
        Assert.Null(await _net.FindAsync("BE", draft.Number));
    }

    [Fact]
    public async Task A_seal_number_still_on_a_valid_certificate_is_refused_naming_that_certificate_and_allowed_once_it_is_voided()
    {
        var first = (await _net.IssueAsync("ZA", "BE", d => d.SealNumber = "ZA-SEAL-REUSED")).Certificate.Number;

        var again = DemoDrafts.Draft("ZA", "BE");
        again.SealNumber = "ZA-SEAL-REUSED";
        var violations = await RefusedAsync(again);
        Assert.Contains($"already on {first}", violations["sealNumber"]);

        await _net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = first, Reason = "seal found broken" });
        var reissued = await _net.IssueAsync("ZA", "BE", d => d.SealNumber = "ZA-SEAL-REUSED");
        Assert.Contains(reissued.History, h => h.Text.Contains($"Seal ZA-SEAL-REUSED was also on {first} (Voided"));
        Assert.Contains(_net["ZA"].Logs.Entries, e => e.Id.Id == 1550 && e.Message.Contains(reissued.Certificate.Number));
    }

    [Fact]
    public async Task A_seal_on_a_certificate_stored_before_seals_were_indexed_is_still_found_after_the_upgrade()
    {
        var first = await _net.DeliverAsync("ZA", "BE", d => d.SealNumber = "ZA-SEAL-UPGRADE");
        await _net["ZA"].StopAsync();
        // The store as an earlier version left it: no SealNumber beside the signed certificate, no index on it.
        using (var earlier = new LiteDB.LiteDatabase(new LiteDB.ConnectionString
        {
            Filename = Path.Combine(_net["ZA"].Config.Options.DataDirectory, "kpnode.db"),
            Connection = LiteDB.ConnectionType.Direct,
        }))
        {
            var certificates = earlier.GetCollection("certificates");
            Assert.True(certificates.DropIndex("SealNumber"));
            foreach (var document in certificates.FindAll().ToList())
            {
                document.Remove("SealNumber");
                certificates.Update(document);
            }
        }

        await _net.RestartAsync("ZA", []);
        var again = DemoDrafts.Draft("ZA", "BE");
        again.SealNumber = "ZA-SEAL-UPGRADE";
        var violations = await RefusedAsync(again);
        Assert.Contains($"already on {first}", violations["sealNumber"]);
    }

    [Fact]
    public async Task Two_concurrent_issues_with_one_seal_number_cannot_both_take_it()
    {
        var drafts = Enumerable.Range(0, 6).Select(_ =>
        {
            var d = DemoDrafts.Draft("ZA", "BE");
            d.SealNumber = "ZA-SEAL-RACE";
            return d;
        }).ToList();

        var results = await Task.WhenAll(drafts.Select(async d =>
        {
            try
            {
                await _net["ZA"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = d });
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
            {
                return false;
            }
        }));

        Assert.Single(results, issued => issued);
    }
}
