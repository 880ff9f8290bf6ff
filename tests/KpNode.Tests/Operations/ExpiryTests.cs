using KpNode.Operations;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KpNode.Tests.Operations;

public sealed class ExpiryTests
{
    [Fact]
    public async Task A_certificate_inside_the_warning_window_is_warned_about_in_logs_status_and_metrics()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        // Dev operator certificates last a year, TLS two: a 400-day window catches only the operator's.
        var za = await Ops.RestartWithAsync(net, "ZA", [new("Node:Operations:ExpiryWarningDays", "400")]);
        try
        {
            var status = await Ops.StatusAsync(za);
            Assert.Equal(400, status.ExpiryWarningDays);
            var warned = Assert.Single(status.Credentials, c => c.Warning);
            Assert.Equal(CredentialKind.Operator, warned.Kind);
            Assert.Equal("ZA", warned.Owner);
            Assert.InRange(warned.DaysLeft, 360, 366);
            var pki = za.Config.Options.PkiDirectory;
            Assert.Contains($"run 'kpnode pki request --purpose operator --pki {pki}' on the node", warned.Advice);
            Assert.Contains($"'kpnode pki sign --root-key {Path.Combine(pki, "root.key")} {Path.Combine(pki, "pending", "operator.csr")}' where the root key is kept", warned.Advice);
            Assert.Contains($"then 'kpnode pki install {Path.Combine(pki, "pending", "operator.crt")} --pki {pki}' and 'kpnode pki reload --config {za.Config.FilePath}' on the node", warned.Advice);
            Assert.Equal(4, warned.RenewSteps.Count);
            Assert.Equal($"kpnode pki request --purpose operator --pki {za.Config.Options.PkiDirectory}", warned.RenewCommand);
            Assert.Equal(5, status.Credentials.Count);

            var warning = (await za.Logs.WaitForAsync(e => e.Id.Id == 1400))[0];
            Assert.Equal(LogLevel.Warning, warning.Level);
            Assert.Contains("The Operator certificate of ZA", warning.Message);
            Assert.DoesNotContain(za.Logs.Entries, e => e.Id.Id == 1400 && e.Message.Contains("NodeTls"));

            using var http = new HttpClient();
            var metrics = await http.GetStringAsync(Ops.Url(za) + "/metrics");
            Assert.Contains("kpnode_x509_expiry_warning{otel_scope_name=\"KpNode\",otel_scope_version=\"0.1.0\",certificate=\"Operator\",owner=\"ZA\"} 1", metrics);
            Assert.Contains("kpnode_x509_expiry_warning{otel_scope_name=\"KpNode\",otel_scope_version=\"0.1.0\",certificate=\"NodeTls\",owner=\"ZA\"} 0", metrics);
        }
        finally
        {
            await za.StopAsync();
            za.Dispose();
        }
    }

    [Fact]
    public async Task Our_certificates_and_each_partner_root_are_checked_and_an_expired_one_says_so()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var credentials = net.Credentials("ZA");
        var partners = (Partners)net["ZA"].Host!.Services.GetService(typeof(Partners))!;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(366));

        var entries = new ExpiryCheck(new NodeCredentials(credentials, net["ZA"].Config.Options.PkiDirectory), partners, net["ZA"].Config, Microsoft.Extensions.Options.Options.Create(net["ZA"].Config.Options.Operations), clock).Check();

        Assert.Equal([CredentialRole.Root, CredentialRole.NodeTls, CredentialRole.DocumentSigning, CredentialRole.Operator, CredentialRole.PartnerRoot],
            entries.Select(e => e.Role));
        var op = entries.Single(e => e.Role == CredentialRole.Operator);
        Assert.True(op.Expired && op.Warning && op.DaysLeft < 0);
        Assert.False(entries.Single(e => e.Role == CredentialRole.NodeTls).Warning);
        var partnerRoot = entries.Single(e => e.Role == CredentialRole.PartnerRoot);
        Assert.Equal("BE", partnerRoot.Owner);

        // Roots change by cards, never by editing a path in the config.
        var config = net["ZA"].Config.FilePath;
        var later = new ExpiryCheck(new NodeCredentials(credentials, net["ZA"].Config.Options.PkiDirectory), partners, net["ZA"].Config,
            Microsoft.Extensions.Options.Options.Create(net["ZA"].Config.Options.Operations), new FakeTimeProvider(DateTimeOffset.UtcNow.AddYears(30))).Check();
        var ours = later.Single(e => e.Role == CredentialRole.Root).Advice;
        Assert.Contains($"'kpnode partner card --root-key OLD --root-key NEW --config {config} --out FILE'", ours);
        Assert.Contains("'kpnode partner update FILE'", ours);
        Assert.DoesNotContain("out of band", ours);
        var theirs = later.Single(e => e.Role == CredentialRole.PartnerRoot).Advice;
        Assert.Contains("ask BE for its new card", theirs);
        Assert.Contains($"'kpnode partner update FILE --config {config}'", theirs);
        Assert.DoesNotContain("RootCertificate", theirs);
    }
}
