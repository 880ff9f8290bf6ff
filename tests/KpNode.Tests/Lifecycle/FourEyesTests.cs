using Grpc.Core;
using KpNode.Cli;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Tests.LocalApi;
using KpNode.Wire.V1;
using static KpNode.Trust.OperatorRole;

namespace KpNode.Tests.Lifecycle;

/// <summary>
/// Four-eyes issuing and voiding (Node:FourEyes) on real nodes: one officer submits, a second approves, and only then
/// is anything numbered, signed and sent; both names stay in the audit log and the certificate's history.
/// </summary>
public sealed class FourEyesTests : IAsyncLifetime
{
    private static readonly KeyValuePair<string, string?>[] FourEyes =
        [new("Node:FourEyes:Issuing", "true"), new("Node:FourEyes:Voiding", "true")];

    private TestNetwork _net = null!;
    private string _submitter = null!; // issuing and approving officer: may approve others' submissions, never their own
    private string _issuer = null!;    // issuing officer only
    private string _approver = null!;  // approving officer only

    public async Task InitializeAsync()
    {
        _net = await TestNetwork.StartAsync(["ZA", "BE"], FourEyes);
        _submitter = TestOperators.Create(_net, "ZA", "n.dlamini", "N. Dlamini", IssuingOfficer, ApprovingOfficer);
        _issuer = TestOperators.Create(_net, "ZA", "p.mokoena", "P. Mokoena", IssuingOfficer);
        _approver = TestOperators.Create(_net, "ZA", "t.botha", "T. Botha", ApprovingOfficer);
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private LocalApiClient As(string folder) => TestOperators.Connect(_net, "ZA", folder);

    private async Task<string> SubmitAsync(string folder, Action<Certificate>? change = null)
    {
        var draft = DemoDrafts.Draft("ZA", "BE");
        change?.Invoke(draft);
        using var client = As(folder);
        var response = await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft });
        Assert.Null(response.Record);
        Assert.Matches("^AP-[0-9]{6}$", response.AwaitingApproval);
        return response.AwaitingApproval;
    }

    private async Task<ApproveResponse> ApproveAsync(string folder, string id)
    {
        using var client = As(folder);
        return await client.Approvals.ApproveAsync(new ApproveRequest { ApprovalId = id });
    }

    [Fact]
    public async Task A_submitted_draft_is_neither_numbered_signed_nor_sent_until_a_second_officer_approves_it_and_then_the_partner_receives_it()
    {
        var id = await SubmitAsync(_submitter);
        Assert.Empty((await _net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
        Assert.Empty(_net.Store("ZA").PendingOutbound("BE", 10));
        var pending = Assert.Single((await _net["ZA"].Client.Approvals.ListApprovalsAsync(new ListApprovalsRequest())).Approvals);
        Assert.Equal(id, pending.Id);
        Assert.Equal(ApprovalState.Pending, pending.State);
        Assert.Equal("N. Dlamini (n.dlamini)", pending.SubmittedBy);

        var approved = await ApproveAsync(_approver, id);
        var number = approved.Record.Certificate.Number;
        Assert.Equal(ApprovalState.Approved, approved.Approval.State);
        Assert.Equal(number, approved.Approval.CertificateNumber);
        Assert.Equal("T. Botha (t.botha)", approved.Approval.DecidedBy);
        await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);
        var held = await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        Assert.Contains(held.History, h => h.Text.StartsWith("Issued by N. Dlamini, approved by T. Botha", StringComparison.Ordinal));

        var audit = _net.Store("ZA").ReadAudit(1, 1000);
        var closing = Assert.Single(audit, a => a.Action == "approval.approved");
        Assert.Equal(number, closing.Subject);
        Assert.Equal("T. Botha (t.botha)", closing.Actor);
        Assert.Contains("submitted by N. Dlamini (n.dlamini); approved by T. Botha (t.botha)", closing.Detail, StringComparison.Ordinal);
        Assert.Contains(audit, a => a.Action == "approval.submitted" && a.Subject == id && a.Actor == "N. Dlamini (n.dlamini)");
        // The issue and the approval closing it were one transaction: adjacent entries of the chain.
        var issuedEntry = Assert.Single(audit, a => a.Action == "certificate.issued");
        Assert.Equal(issuedEntry.Id + 1, closing.Id);
    }

    [Fact]
    public async Task The_submitter_cannot_approve_their_own_draft_and_an_issuing_officer_without_approving_officer_cannot_approve()
    {
        var id = await SubmitAsync(_submitter);
        var own = await Assert.ThrowsAsync<RpcException>(() => ApproveAsync(_submitter, id));
        Assert.Equal(StatusCode.PermissionDenied, own.StatusCode);
        Assert.Contains("submitted by N. Dlamini (n.dlamini): four-eyes means a second officer must approve it", own.Status.Detail, StringComparison.Ordinal);

        var noRole = await Assert.ThrowsAsync<RpcException>(() => ApproveAsync(_issuer, id));
        Assert.Equal(StatusCode.PermissionDenied, noRole.StatusCode);
        Assert.StartsWith("Approve needs the role approving-officer; the certificate of p.mokoena grants issuing-officer", noRole.Status.Detail, StringComparison.Ordinal);

        // Neither refusal took a number or sent anything; the approval still waits.
        Assert.Empty((await _net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
        Assert.Equal(ApprovalState.Pending, Assert.Single((await _net["ZA"].Client.Approvals.ListApprovalsAsync(new ListApprovalsRequest())).Approvals).State);
    }

    [Fact]
    public async Task A_rejected_draft_sends_nothing_and_cannot_be_approved_afterwards()
    {
        var id = await SubmitAsync(_issuer);
        using (var client = As(_approver))
        {
            var rejected = await client.Approvals.RejectAsync(new RejectRequest { ApprovalId = id, Reason = "importer's address is out of date" });
            Assert.Equal(ApprovalState.Rejected, rejected.Approval.State);
            Assert.Equal("importer's address is out of date", rejected.Approval.Reason);
        }

        var late = await Assert.ThrowsAsync<RpcException>(() => ApproveAsync(_submitter, id));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains("already rejected by T. Botha", late.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await _net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
        Assert.Empty(_net.Store("ZA").PendingOutbound("BE", 10));
        Assert.Empty(_net.Store("ZA").SharedMessages("BE"));
        Assert.Contains(_net.Store("ZA").ReadAudit(1, 1000), a => a.Action == "approval.rejected" && a.Detail.Contains("rejected by T. Botha (t.botha): importer's address", StringComparison.Ordinal));
        Assert.Empty((await _net["ZA"].Client.Approvals.ListApprovalsAsync(new ListApprovalsRequest())).Approvals);
    }

    [Fact]
    public async Task A_draft_breaking_a_rule_is_refused_at_submission_as_issuing_refuses_it()
    {
        using var client = As(_issuer);
        var draft = DemoDrafts.Draft("ZA", "BE");
        draft.Parcels = 0;
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(Wire.ApiErrors.ViolationsOf(e), v => v.Field == "parcels");
        Assert.Empty((await _net["ZA"].Client.Approvals.ListApprovalsAsync(new ListApprovalsRequest())).Approvals);
    }

    [Fact]
    public async Task The_number_is_taken_at_approval_and_a_pending_approval_survives_a_restart()
    {
        var first = await SubmitAsync(_submitter);
        var second = await SubmitAsync(_issuer);

        await _net.RestartAsync("ZA", FourEyes);
        Assert.Equal([first, second], (await _net["ZA"].Client.Approvals.ListApprovalsAsync(new ListApprovalsRequest())).Approvals.Select(a => a.Id));

        // Approved in the other order: numbers follow the approvals, not the submissions.
        var b = (await ApproveAsync(_approver, second)).Record.Certificate.Number;
        var a = (await ApproveAsync(_approver, first)).Record.Certificate.Number;
        Assert.EndsWith("-000001", b, StringComparison.Ordinal);
        Assert.EndsWith("-000002", a, StringComparison.Ordinal);
        await _net.WaitForAsync("BE", a, r => r.Status == CertificateStatus.Received);
        await _net.WaitForAsync("BE", b, r => r.Status == CertificateStatus.Received);
    }

    [Fact]
    public async Task A_rebuilt_store_keeps_what_awaits_approval_and_its_numbering()
    {
        var number = (await ApproveAsync(_approver, await SubmitAsync(_submitter))).Record.Certificate.Number;
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        var pending = await SubmitAsync(_issuer);

        var za = _net["ZA"];
        await za.StopAsync();
        using (var db = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(za.Config.Options.DataDirectory, "kpnode.db"), Connection = LiteDB.ConnectionType.Direct }))
        {
            var certificates = db.GetCollection(KpNode.Storage.NodeStore.CertificatesCollection);
            var document = certificates.FindById(number);
            document["Partner"] = "CN";
            Assert.True(certificates.Update(document));
        }

        var rebuild = await KpNodeProcess.RunAsync("store", "check", "--config", za.Config.FilePath, "--rebuild");
        Assert.True(rebuild.ExitCode == 4, rebuild.Stdout + rebuild.Stderr);
        await za.StartAsync();
        var kept = (await za.Client.Approvals.ListApprovalsAsync(new ListApprovalsRequest { IncludeDecided = true })).Approvals;
        Assert.Equal([pending, "AP-000001"], kept.Select(a => a.Id));
        Assert.Equal("AP-000003", await SubmitAsync(_submitter));
    }

    [Fact]
    public async Task A_void_waits_for_a_second_officer_and_the_importer_is_told_once_it_is_approved()
    {
        var number = (await ApproveAsync(_approver, await SubmitAsync(_submitter))).Record.Certificate.Number;
        await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);

        string id;
        using (var client = As(_issuer))
        {
            var response = await client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = "shipment not sent" });
            Assert.Matches("^AP-[0-9]{6}$", response.AwaitingApproval);
            Assert.NotEqual(CertificateStatus.Voided, response.Record.Status);
            id = response.AwaitingApproval;
        }

        Assert.NotEqual(CertificateStatus.Voided, (await _net.FindAsync("ZA", number))!.Status);
        var approved = await ApproveAsync(_submitter, id);
        Assert.Equal(CertificateStatus.Voided, approved.Record.Status);
        Assert.Contains(approved.Record.History, h => h.Text.StartsWith("Voided by P. Mokoena, approved by N. Dlamini: shipment not sent", StringComparison.Ordinal));
        await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Voided);
    }

    [Fact]
    public async Task The_cli_says_what_awaits_approval_lists_it_and_a_second_officer_approves_it()
    {
        var config = _net["ZA"].Config.FilePath;
        var draft = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples", "za-to-be.json");
        var issue = await KpNodeProcess.RunAsync(Env(_issuer), "cert", "issue", "--config", config, "--file", draft);
        Assert.True(issue.ExitCode == 0, issue.Stderr);
        Assert.Matches(@"^Awaiting approval AP-000001: a second officer runs 'kpnode cert approve AP-000001 --config [^']+za\.json'\.", issue.Stdout);

        var list = await KpNodeProcess.RunAsync(new Dictionary<string, string?> { ["COLUMNS"] = "80", [LocalApiClient.OperatorVariable] = _approver },
            "cert", "approvals", "--config", config);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains("AP-000001", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("P. Mokoena (p.mokoena)", list.Stdout, StringComparison.Ordinal);

        var issuerAlone = await KpNodeProcess.RunAsync(Env(_issuer), "cert", "approve", "AP-000001", "--config", config);
        Assert.NotEqual(0, issuerAlone.ExitCode);
        Assert.Contains("Approve needs the role approving-officer", issuerAlone.Stderr, StringComparison.Ordinal);

        var approve = await KpNodeProcess.RunAsync(Env(_approver), "cert", "approve", "AP-000001", "--config", config, "--json");
        Assert.True(approve.ExitCode == 0, approve.Stderr);
        var number = System.Text.Json.JsonDocument.Parse(approve.Stdout).RootElement.GetProperty("record").GetProperty("certificate").GetProperty("number").GetString()!;
        await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);

        var reject = await KpNodeProcess.RunAsync(Env(_approver), "cert", "reject", "AP-000001", "--reason", "late", "--config", config);
        Assert.NotEqual(0, reject.ExitCode);
        Assert.Contains("AP-000001 is already approved by T. Botha", reject.Stderr, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Env(string operatorFolder) =>
        new() { ["COLUMNS"] = "200", [LocalApiClient.OperatorVariable] = operatorFolder };
}

/// <summary>Four-eyes at a participant with offices: an office's submission is approved in that office, or participant-wide.</summary>
public sealed class FourEyesOfficeTests : IAsyncLifetime
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<KpNode.Configuration.OfficeOptions>> Offices =
        new Dictionary<string, IReadOnlyList<KpNode.Configuration.OfficeOptions>>
        {
            ["EU"] =
            [
                new() { Code = "DE-IDAR-OBERSTEIN", ExportingAuthority = "Hauptzollamt Koblenz (EU Union authority)", NumberPrefix = "DE" },
                new() { Code = "CZ-PRAGUE", ExportingAuthority = "Generální ředitelství cel (EU Union authority)", NumberPrefix = "CZ" },
            ],
        };

    private TestNetwork _net = null!;

    public async Task InitializeAsync() =>
        _net = await TestNetwork.StartAsync(["EU", "ZA"], [new("Node:FourEyes:Issuing", "true")], Offices);

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task An_office_officers_draft_is_approved_only_in_that_office_or_at_participant_level_and_numbered_by_the_office()
    {
        var submitter = TestOperators.CreateForOffice(_net, "EU", "DE-IDAR-OBERSTEIN", "k.weber", "K. Weber", IssuingOfficer);
        var prague = TestOperators.CreateForOffice(_net, "EU", "CZ-PRAGUE", "j.novak", "J. Novák", ApprovingOfficer);
        var idar = TestOperators.CreateForOffice(_net, "EU", "DE-IDAR-OBERSTEIN", "m.schmidt", "M. Schmidt", ApprovingOfficer);
        string id;
        using (var client = TestOperators.Connect(_net, "EU", submitter))
        {
            id = (await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = DemoDrafts.Draft("EU", "ZA") })).AwaitingApproval;
        }

        using (var client = TestOperators.Connect(_net, "EU", prague))
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await client.Approvals.ApproveAsync(new ApproveRequest { ApprovalId = id }));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains($"{id} is for office DE-IDAR-OBERSTEIN; an officer of office CZ-PRAGUE cannot approve it", e.Status.Detail, StringComparison.Ordinal);
        }

        using (var client = TestOperators.Connect(_net, "EU", idar))
        {
            var approved = await client.Approvals.ApproveAsync(new ApproveRequest { ApprovalId = id });
            Assert.StartsWith("DE-", approved.Record.Certificate.Number, StringComparison.Ordinal);
            Assert.Equal("DE-IDAR-OBERSTEIN", approved.Record.Certificate.IssuingOffice);
            await _net.WaitForAsync("ZA", approved.Record.Certificate.Number, r => r.Status == CertificateStatus.Received);
        }
    }
}
