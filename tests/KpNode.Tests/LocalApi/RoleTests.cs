using System.Text.Json;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using KpNode.LocalApi;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static KpNode.Trust.OperatorRole;

namespace KpNode.Tests.LocalApi;

/// <summary>
/// Operator roles on real nodes over mutual TLS: each Local method needs one of the roles the table names, refused
/// with PERMISSION_DENIED naming the role, over gRPC and over JSON alike.
/// </summary>
public sealed class RoleTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public void Every_method_of_every_local_service_has_a_row_in_the_role_table()
    {
        foreach (var service in MethodRoles.Services)
        {
            foreach (var method in service.Methods)
            {
                var roles = MethodRoles.For($"/{service.FullName}/{method.Name}");
                Assert.True(roles is { Count: > 0 }, $"{service.FullName}/{method.Name} has no row in MethodRoles: say which roles may call it");
            }
        }

        // And every gRPC method the running node serves is either a partner's (Peer), open to any admitted caller
        // (health, reflection), or in the table: a Local service mapped but not listed cannot slip through.
        string[] open = ["kp.v1.PeerExchangeService", "kp.v1.HistoryService", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"];
        var served = _net["ZA"].Host!.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.FullName).OfType<string>().Distinct().ToList();
        Assert.Contains("/kp.v1.ApprovalService/Approve", served);
        foreach (var method in served.Where(m => !open.Any(s => m.StartsWith($"/{s}/", StringComparison.Ordinal))))
        {
            Assert.True(MethodRoles.For(method) is { Count: > 0 }, $"{method} is served but has no row in MethodRoles");
        }
    }

    [Fact]
    public async Task A_customs_officer_looks_up_lists_and_checks_but_issuing_is_refused_naming_issuing_officer()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var customs = TestOperators.Create(_net, "BE", "k.peeters", "K. Peeters", Customs);
        using var client = TestOperators.Connect(_net, "BE", customs);

        Assert.Equal(number, (await client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = number })).Record.Certificate.Number);
        Assert.Contains((await client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records, r => r.Certificate.Number == number);
        var check = await client.Api.CheckCertificateAsync(new CheckCertificateRequest { Issuer = "ZA", CertificateNumber = number });
        Assert.Equal(AuthenticityVerdict.Genuine, check.Verdict);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = KpNode.Cli.DemoDrafts.Draft("BE", "ZA") }));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.StartsWith("IssueCertificate needs the role issuing-officer; the certificate of k.peeters grants customs", e.Status.Detail, StringComparison.Ordinal);
        var info = e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>();
        Assert.Equal("ROLE_REQUIRED", info.Reason);
        Assert.Equal("issuing-officer", info.Metadata["required"]);
        Assert.Equal("customs", info.Metadata["granted"]);
        // Read-only means read-only: a void and the administrator's calls are refused as well.
        var voiding = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = "test" }));
        Assert.Equal(StatusCode.PermissionDenied, voiding.StatusCode);
        var outbox = await Assert.ThrowsAsync<RpcException>(async () => await client.Operations.ListOutboxAsync(new ListOutboxRequest()));
        Assert.StartsWith("ListOutbox needs the role administrator;", outbox.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain((await _net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records, r => r.Direction == CertificateDirection.Outbound);
        Assert.Contains(_net["BE"].Logs.Entries, l => l.Id.Id == 1840 && l.Message.Contains("IssueCertificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Curl_with_a_customs_certificate_reads_over_json_and_is_refused_issuing_with_http_403_naming_the_role()
    {
        await ThirdPartyTools.RequireCurlAsync();
        var number = await _net.DeliverAsync("ZA", "BE");
        var customs = TestOperators.Create(_net, "BE", "k.peeters", "K. Peeters", Customs);

        var (read, record) = await CurlAsync(customs, "GET", $"/v1/certificates/{number}");
        Assert.True(read == 200, record.ToString());
        var draft = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples", "za-to-be.json");
        var (status, error) = await CurlAsync(customs, "POST", "/v1/certificates", ["--data-binary", "@" + draft]);
        Assert.True(status == 403, error.ToString());
        Assert.Equal(7, error.GetProperty("code").GetInt32()); // PERMISSION_DENIED
        Assert.StartsWith("IssueCertificate needs the role issuing-officer; the certificate of k.peeters grants customs", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", detail.GetProperty("@type").GetString());
        Assert.Equal("ROLE_REQUIRED", detail.GetProperty("reason").GetString());
        Assert.Equal("issuing-officer", detail.GetProperty("metadata").GetProperty("required").GetString());
    }

    [Fact]
    public async Task A_statistics_officer_gets_the_statistics_and_the_status_but_not_the_certificates()
    {
        await _net.DeliverAsync("ZA", "BE");
        var statistics = TestOperators.Create(_net, "ZA", "s.naidoo", "S. Naidoo", Statistics);
        using var client = TestOperators.Connect(_net, "ZA", statistics);

        var period = $"{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month + 2) / 3}";
        var figures = await client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = period });
        Assert.Equal(period, figures.Period);
        Assert.Equal("ZA", (await client.Api.GetStatusAsync(new GetStatusRequest())).Participant);
        await client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.Api.ListCertificatesAsync(new ListCertificatesRequest()));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.StartsWith("ListCertificates needs one of the roles issuing-officer, approving-officer or customs; the certificate of s.naidoo grants statistics",
            e.Status.Detail, StringComparison.Ordinal);
        var watch = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Events.WatchEvents(new WatchEventsRequest());
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.PermissionDenied, watch.StatusCode);
    }

    [Fact]
    public async Task An_issuing_officer_issues_and_an_operator_certificate_naming_no_role_may_do_everything()
    {
        var officer = TestOperators.Create(_net, "ZA", "n.dlamini", "N. Dlamini", IssuingOfficer);
        using var client = TestOperators.Connect(_net, "ZA", officer);
        var issued = (await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = KpNode.Cli.DemoDrafts.Draft("ZA", "BE") })).Record;
        Assert.Contains(issued.History, h => h.Text.Contains("Issued by N. Dlamini", StringComparison.Ordinal));
        var stats = await Assert.ThrowsAsync<RpcException>(async () => await client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = "2026Q4" }));
        Assert.StartsWith("GetStatistics needs one of the roles statistics or administrator", stats.Status.Detail, StringComparison.Ordinal);

        // The node's own dev operator names no role: every call, administration included, is open to it.
        await _net["ZA"].Client.Operations.ListOutboxAsync(new ListOutboxRequest());
        await _net["ZA"].Client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = "2026Q4" });
    }

    [Fact]
    public async Task An_operator_certificate_naming_a_role_kpnode_does_not_know_is_refused_at_the_handshake()
    {
        var smuggler = TestOperators.CreateWithUris(_net, "ZA", "x.smuggler", "kp:participant:ZA", "kp:operator:x.smuggler", "kp:role:superuser");
        using var client = TestOperators.Connect(_net, "ZA", smuggler);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.Api.GetStatusAsync(new GetStatusRequest()));
        ExchangeAssert.AssertRefusedAtTls(e);
        await Eventually.WaitAsync(() => _net["ZA"].Logs.Entries.Any(l => l.Message.Contains("names a role KpNode does not know", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "ZA to log why it refused the handshake");
    }

    private Task<(int? Status, JsonElement Body)> CurlAsync(string operatorDir, string method, string path, string[]? extra = null) =>
        ThirdPartyTools.CurlJsonAsync(
            ["-sS", "--cacert", Path.Combine(operatorDir, "root.crt"), "--cert", Path.Combine(operatorDir, "operator.crt"), "--key", Path.Combine(operatorDir, "operator.key"),
             "-X", method, "-H", "Content-Type: application/json", .. extra ?? []],
            $"https://localhost:{_net["BE"].Host!.LocalPort}{path}");
}
