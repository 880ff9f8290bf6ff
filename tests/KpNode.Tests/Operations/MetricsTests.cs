using System.Text.RegularExpressions;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Operations;

public sealed class MetricsTests
{
    [Fact]
    public async Task Prometheus_metrics_cover_certificates_backlog_deliveries_latency_circuits_receipts_and_expiry()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var delivered = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", delivered.Certificate.Number, r => r.Status == CertificateStatus.Delivered);
        using var http = new HttpClient();

        // Both nodes run in this process: each exports only its own state.
        var whileBothRun = await http.GetStringAsync(Ops.Url(net["ZA"]) + "/metrics");
        Assert.DoesNotContain("partner=\"ZA\"", whileBothRun);
        Assert.Contains("kp_participant=\"ZA\"", whileBothRun);
        Assert.Equal(0, Sample(whileBothRun, "kpnode_certificates", ("status", "Received")));
        var atImporter = await http.GetStringAsync(Ops.Url(net["BE"]) + "/metrics");
        Assert.Equal(1, Sample(atImporter, "kpnode_receipts_total", ("direction", "sent"), ("outcome", "accepted")));
        Assert.Equal(0, Sample(atImporter, "kpnode_receipts_total", ("direction", "received"), ("outcome", "accepted")));
        Assert.Equal(1, Sample(atImporter, "kpnode_certificates", ("status", "Received")));

        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 0);

        var response = await http.GetAsync(Ops.Url(net["ZA"]) + "/metrics");
        Assert.True(response.IsSuccessStatusCode, response.ToString());
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(1, Sample(text, "kpnode_certificates", ("status", "Delivered")));
        Assert.Equal(1, Sample(text, "kpnode_certificates", ("status", "Issued")));
        Assert.Equal(1, Sample(text, "kpnode_outbox_backlog", ("partner", "BE")));
        Assert.True(Sample(text, "kpnode_outbox_oldest_pending_age_seconds", ("partner", "BE")) >= 0);
        Assert.Equal(1, Sample(text, "kpnode_delivery_attempts_total", ("partner", "BE"), ("result", "delivered")));
        Assert.True(Sample(text, "kpnode_delivery_attempts_total", ("partner", "BE"), ("result", "failed")) >= 1);
        Assert.True(Sample(text, "kpnode_delivery_failures_total", ("partner", "BE"), ("cause", "unreachable")) >= 1);
        Assert.Equal(1, Sample(text, "kpnode_delivery_latency_seconds_count", ("partner", "BE")));
        Assert.Equal(1, Sample(text, "kpnode_delivery_latency_seconds_bucket", ("partner", "BE"), ("le", "+Inf")));
        Assert.Equal(1, Sample(text, "kpnode_receipts_total", ("direction", "received"), ("outcome", "accepted")));
        // Issuing twice and recording a receipt are durable writes, each committed by a group commit and an fsync.
        var commits = Sample(text, "kpnode_store_group_commits_total");
        Assert.InRange(commits, 1, Sample(text, "kpnode_store_durable_writes_total"));
        Assert.True(Sample(text, "kpnode_store_durable_writes_total") >= 3);
        Assert.True(Sample(text, "kpnode_store_fsyncs_total") >= 1);
        Assert.True(Sample(text, "kpnode_store_fsync_time_seconds_total") > 0);
        Assert.True(Sample(text, "kpnode_store_group_commit_time_seconds_total") > 0);
        // Three commits leave the log far below LiteDB's checkpoint threshold: none yet, and none of its time.
        Assert.Equal(0, Sample(text, "kpnode_store_checkpoints_total"));
        Assert.Equal(0, Sample(text, "kpnode_store_checkpoint_time_seconds_total"));
        Assert.Equal(0, Sample(text, "kpnode_receipts_total", ("direction", "sent"), ("outcome", "accepted")));
        Assert.Equal(1, Sample(text, "kpnode_partner_circuit_state", ("partner", "BE"), ("state", "closed"))
            + Sample(text, "kpnode_partner_circuit_state", ("partner", "BE"), ("state", "open"))
            + Sample(text, "kpnode_partner_circuit_state", ("partner", "BE"), ("state", "half_open")));
        Assert.Equal(0, Sample(text, "kpnode_partner_reachable", ("partner", "BE")));
        foreach (var (certificate, owner) in new[] { ("Root", "ZA"), ("NodeTls", "ZA"), ("DocumentSigning", "ZA"), ("Operator", "ZA"), ("PartnerRoot", "BE") })
        {
            Assert.InRange(Sample(text, "kpnode_x509_remaining_validity_days", ("certificate", certificate), ("owner", owner)), 300, 3700);
            Assert.Equal(0, Sample(text, "kpnode_x509_expiry_warning", ("certificate", certificate), ("owner", owner)));
        }

        Assert.True(Sample(text, "kpnode_store_size_bytes") > 0);
        Assert.Equal(0, Sample(text, "kpnode_store_queued_writes"));
        Assert.Contains("# TYPE kpnode_delivery_attempts_total counter", text);
        Assert.Contains("# TYPE kpnode_delivery_latency_seconds histogram", text);
    }

    [Fact]
    public async Task The_operations_endpoint_is_plain_HTTP_on_loopback_and_not_served_to_partners_on_the_Peer_port()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        Assert.StartsWith("http://127.0.0.1:", Ops.Url(net["ZA"]));
        using var be = net.Credentials("BE");
        using var asPartner = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                ClientCertificates = [be.NodeTls],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        })
        {
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        foreach (var path in new[] { "/metrics", "/" })
        {
            var response = await asPartner.GetAsync(new Uri(net["ZA"].Host!.PeerAddress, path));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    /// <summary>The value of the one sample of <paramref name="name"/> with these labels (and maybe others); 0 when absent.</summary>
    internal static double Sample(string exposition, string name, params (string Label, string Value)[] labels)
    {
        var matches = exposition.Split('\n')
            .Select(line => Regex.Match(line, @"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)"))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Where(m => labels.All(l => m.Groups["labels"].Value.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            .ToList();
        Assert.True(matches.Count <= 1, $"{name} {string.Join(",", labels)} matches {matches.Count} samples:\n{string.Join("\n", matches.Select(m => m.Value))}");
        return matches.Count == 0 ? 0 : double.Parse(matches[0].Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
