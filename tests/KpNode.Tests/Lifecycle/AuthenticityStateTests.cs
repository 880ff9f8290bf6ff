using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

/// <summary>The issuer answers with the certificate's real state today, compares every figure asked, and both sides audit it.</summary>
public sealed class AuthenticityStateTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private Task<CheckCertificateResponse> CheckAsync(string number, Action<CheckCertificateRequest>? ask = null)
    {
        var request = new CheckCertificateRequest { Issuer = "ZA", CertificateNumber = number };
        ask?.Invoke(request);
        return _net["BE"].Client.Api.CheckCertificateAsync(request).ResponseAsync;
    }

    [Fact]
    public async Task Every_figure_of_the_paper_certificate_is_compared_and_only_those_asked()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var c = (await _net.FindAsync("BE", number))!.Certificate;
        void AsPrinted(CheckCertificateRequest r)
        {
            r.Parcels = c.Parcels;
            r.CaratsHundredths = c.CaratsHundredths;
            r.ValueUsdCents = c.ValueUsdCents;
            r.HsLines.Add(c.HsLines);
            r.Exporter = new Party { Name = c.Exporter.Name.ToUpperInvariant() };
            r.Importer = new Party { Name = c.Importer.Name, Country = c.Importer.Country };
            r.DateOfIssue = c.DateOfIssue;
            r.DateOfExpiry = c.DateOfExpiry;
        }

        var genuine = await CheckAsync(number, AsPrinted);
        Assert.Equal(AuthenticityVerdict.Genuine, genuine.Verdict);
        Assert.Empty(genuine.Mismatches);

        var forged = await CheckAsync(number, r =>
        {
            AsPrinted(r);
            r.ValueUsdCents += 100;
            r.HsLines[0].CaratsHundredths += 1;
            r.Exporter.Name = "Somebody Else Ltd";
            r.Importer.Country = "AE";
            r.DateOfExpiry = DateTime.UtcNow.AddDays(150).ToString("yyyy-MM-dd");
        });
        Assert.Equal(AuthenticityVerdict.Mismatch, forged.Verdict);
        Assert.Equal(["value:", "hsLines:", "exporter.name:", "importer.country:", "dateOfExpiry:"],
            forged.Mismatches.Select(m => m[..(m.IndexOf(':') + 1)]));
        Assert.Contains("'Somebody Else Ltd' presented", forged.Mismatches[2]);
    }

    [Fact]
    public async Task A_voided_certificate_is_voided_with_the_number_of_its_replacement()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        await _net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = "wrong weight" });
        var replacement = (await _net.IssueAsync("ZA", "BE", d => d.Replaces = number)).Certificate.Number;

        var answer = await CheckAsync(number);

        Assert.Equal(AuthenticityVerdict.Voided, answer.Verdict);
        Assert.Equal(replacement, answer.ReplacedBy);
        Assert.Contains("wrong weight", answer.Detail);
    }

    [Fact]
    public async Task A_certificate_the_importers_node_refused_is_not_delivered_rather_than_genuine()
    {
        await _net.RestartAsync("BE", [new("Node:Partners:0:RefusedOrigins:0", "ZA")]);
        var number = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Rejected);

        var answer = await CheckAsync(number);

        Assert.Equal(AuthenticityVerdict.NotDelivered, answer.Verdict);
        Assert.Contains("refused by BE's node", answer.Detail);
    }

    [Fact]
    public async Task A_certificate_past_its_date_of_expiry_is_expired_rather_than_genuine()
    {
        var clock = new ShiftedTime();
        await _net.RestartAsync("ZA", [], clock);
        var number = await _net.DeliverAsync("ZA", "BE");
        clock.Offset = TimeSpan.FromDays(70);

        var answer = await CheckAsync(number);

        Assert.Equal(AuthenticityVerdict.Expired, answer.Verdict);
        Assert.StartsWith("expired on ", answer.Detail);
    }

    [Fact]
    public async Task Each_question_and_its_answer_is_in_both_sides_audit_logs()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        await CheckAsync(number, r => r.Parcels = 999);

        var answered = Assert.Single(_net.Store("ZA").ReadAudit(0, 100), a => a.Action == "authenticity.answered");
        Assert.Equal(("BE", number), (answered.Actor, answered.Subject));
        Assert.StartsWith("Mismatch", answered.Detail);
        Assert.Contains("parcels: 999 presented", answered.Detail);
        var asked = Assert.Single(_net.Store("BE").ReadAudit(0, 100), a => a.Action == "authenticity.asked");
        Assert.Equal(number, asked.Subject);
        Assert.StartsWith("asked ZA: Mismatch", asked.Detail);
        Assert.True(_net.Store("ZA").VerifyAuditChain().IsIntact);
    }

    [Fact]
    public async Task Cert_check_exits_zero_only_for_genuine_with_a_distinct_code_per_verdict_documented_in_its_help()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var be = _net["BE"].Config.FilePath;

        var genuine = await KpNodeProcess.RunAsync("cert", "check", "--config", be, "--issuer", "ZA", number);
        Assert.True(genuine.ExitCode == 0, genuine.Stdout + genuine.Stderr);
        Assert.Contains("GENUINE", genuine.Stdout);
        var mismatch = await KpNodeProcess.RunAsync("cert", "check", "--config", be, "--issuer", "ZA", number, "--parcels", "999", "--json");
        Assert.Equal(3, mismatch.ExitCode);
        var unknown = await KpNodeProcess.RunAsync("cert", "check", "--config", be, "--issuer", "ZA", $"ZA-{DateTime.UtcNow.Year}-999999");
        Assert.Equal(7, unknown.ExitCode);
        await _net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = "shipment not sent" });
        var voided = await KpNodeProcess.RunAsync("cert", "check", "--config", be, "--issuer", "ZA", number);
        Assert.Equal(4, voided.ExitCode);
        Assert.Contains("VOIDED", voided.Stdout);

        var help = await KpNodeProcess.RunAsync("cert", "check", "--help");
        foreach (var code in new[] { "0 GENUINE", "3 MISMATCH", "4 VOIDED", "5 EXPIRED", "6 NOT DELIVERED", "7 UNKNOWN" })
        {
            Assert.Contains(code, help.Stdout);
        }
    }
}
