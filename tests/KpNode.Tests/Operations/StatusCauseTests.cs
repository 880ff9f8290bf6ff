using Grpc.Core;
using KpNode.Operations;
using KpNode.Outbox;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace KpNode.Tests.Operations;

public sealed class StatusCauseTests
{
    [Fact]
    public async Task Status_explains_an_unreachable_partner_and_what_to_do()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["BE"].StopAsync();
        var issued = await net.IssueAsync("ZA", "BE");

        var status = await Ops.WaitForStatusAsync(net["ZA"], s => Ops.Partner(s, "BE").LastErrorCause != DeliveryFailureCause.Unspecified);
        var be = Ops.Partner(status, "BE");
        Assert.Equal(DeliveryFailureCause.Unreachable, be.LastErrorCause);
        Assert.Equal(PartnerReachability.Unreachable, be.Reachability);
        Assert.Equal(1, be.Backlog);
        Assert.NotNull(be.OldestPendingAt);
        Assert.StartsWith("unreachable: BE", be.LastError);
        Assert.Contains("Check that it is running", be.LastErrorAdvice);

        // What a person reads in the terminal.
        var human = await KpNodeProcess.RunAsync("status", "--config", net["ZA"].Config.FilePath);
        Assert.True(human.ExitCode == 0, human.Stderr);
        var text = System.Text.RegularExpressions.Regex.Replace(human.Stdout, @"\s+", " ");
        Assert.Contains("BE: unreachable: BE", text);
        Assert.Contains("What to do: No connection to BE's node. Check that it is running", text);
        Assert.Contains("healthy", text);
        Assert.Matches(@"Days until expiry: root \d+ d, node TLS \d+ d, signing \d+ d, operator \d+ d; partner roots BE \d+ d", text);

        var json = Ops.Json.Parse<GetNodeStatusResponse>((await KpNodeProcess.RunAsync("status", "--config", net["ZA"].Config.FilePath, "--json")).Stdout);
        Assert.Equal(DeliveryFailureCause.Unreachable, Ops.Partner(json, "BE").LastErrorCause);
        Assert.Contains(json.RecentCertificates, r => r.Number == issued.Certificate.Number && r.Status == CertificateStatus.Issued);
    }

    [Fact]
    public async Task Status_explains_that_the_partner_refuses_our_TLS_certificate()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        // BE holds a different root for ZA than the one ZA's node certificate chains to.
        var otherZa = Path.Combine(net.Root, "pki", "za-other");
        PkiFiles.Write(otherZa, DevPki.Create("ZA", [], DateTimeOffset.UtcNow));
        var be = await Ops.RestartWithAsync(net, "BE", [new("Node:Partners:0:RootCertificate", Path.Combine(otherZa, "root.crt"))]);
        try
        {
            await net.IssueAsync("ZA", "BE");
            var status = await Ops.WaitForStatusAsync(net["ZA"], s => Ops.Partner(s, "BE").LastErrorCause != DeliveryFailureCause.Unspecified);
            var link = Ops.Partner(status, "BE");
            Assert.True(link.LastErrorCause == DeliveryFailureCause.TlsRefusedByPartner, link.ToString());
            Assert.StartsWith("TLS refused by partner: BE", link.LastError);
            Assert.Contains("does not trust our root", link.LastErrorAdvice);
            Assert.Contains("Send BE our root.crt", link.LastErrorAdvice);
        }
        finally
        {
            await be.StopAsync();
            be.Dispose();
        }
    }

    [Fact]
    public async Task Status_explains_that_we_refuse_the_partners_certificate_naming_the_reason()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        // ZA holds a root for BE that BE's node certificate does not chain to.
        var otherBe = Path.Combine(net.Root, "pki", "be-other");
        PkiFiles.Write(otherBe, DevPki.Create("BE", [], DateTimeOffset.UtcNow));
        var za = await Ops.RestartWithAsync(net, "ZA", [new("Node:Partners:0:RootCertificate", Path.Combine(otherBe, "root.crt"))]);
        try
        {
            await za.Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = KpNode.Cli.DemoDrafts.Draft("ZA", "BE") });
            var status = await Ops.WaitForStatusAsync(za, s => Ops.Partner(s, "BE").LastErrorCause != DeliveryFailureCause.Unspecified);
            var link = Ops.Partner(status, "BE");
            Assert.True(link.LastErrorCause == DeliveryFailureCause.PartnerCertificateUntrusted, link.ToString());
            Assert.StartsWith("partner certificate not trusted: we refused BE's TLS certificate: BE's server certificate", link.LastError);
            Assert.Contains("RootCertificate holds BE's current root", link.LastErrorAdvice);
        }
        finally
        {
            await za.StopAsync();
            za.Dispose();
        }
    }

    [Theory]
    [InlineData(StatusCode.Unauthenticated, nameof(FailureCause.SignatureRejected), "signature rejected: BE did not accept our signature", "chains to the root BE holds for ZA")]
    [InlineData(StatusCode.PermissionDenied, nameof(FailureCause.RefusedByPolicy), "refused by policy: BE refused us", "lists ZA as a partner")]
    [InlineData(StatusCode.DeadlineExceeded, nameof(FailureCause.Timeout), "timeout: BE did not answer in time", "raise Node:Delivery:AttemptTimeout")]
    [InlineData(StatusCode.FailedPrecondition, nameof(FailureCause.PartnerError), "partner error: BE answered FailedPrecondition", "check their node's logs")]
    public void Answers_from_the_partner_are_told_apart_by_their_gRPC_status(StatusCode code, string causeName, string text, string advice)
    {
        var failure = DeliveryErrors.Classify("BE", new RpcException(new Status(code, "detail from BE")), null);
        var cause = Enum.Parse<FailureCause>(causeName);
        Assert.Equal(cause, failure.Cause);
        Assert.StartsWith(text, failure.ToString());
        Assert.Contains(advice, DeliveryAdvice.For(failure.Cause, "BE", "ZA", Config().Options.Delivery));
        Assert.Equal(failure, DeliveryErrors.Parse(failure.ToString()));
    }

    [Fact]
    public void An_open_circuit_and_a_local_timeout_are_explained_with_what_to_do()
    {
        var open = DeliveryErrors.Classify("BE", new BrokenCircuitException(), null);
        Assert.Equal(FailureCause.CircuitOpen, open.Cause);
        Assert.Contains("kpnode peer retry-now BE", DeliveryAdvice.For(open.Cause, "BE", "ZA", Config().Options.Delivery));
        Assert.Equal(FailureCause.Timeout, DeliveryErrors.Classify("BE", new TimeoutRejectedException(), null).Cause);
    }

    [Fact]
    public async Task The_delivery_pipeline_says_which_failure_opened_its_circuit()
    {
        // Quick retries fail inside one call: the breaker counts them, and the caller then sees only "circuit open".
        var changes = new List<(Polly.CircuitBreaker.CircuitState State, Exception? Cause)>();
        var pipeline = DeliveryPipeline.Create(
            new KpNode.Configuration.DeliveryOptions { QuickRetries = 3, QuickRetryDelay = TimeSpan.FromMilliseconds(1), BreakerMinimumThroughput = 2 },
            TimeProvider.System, new Polly.CircuitBreaker.CircuitBreakerStateProvider(), new Polly.CircuitBreaker.CircuitBreakerManualControl(),
            (state, cause) => changes.Add((state, cause)));

        var seen = await Assert.ThrowsAnyAsync<Exception>(async () => await pipeline.ExecuteAsync<int>(
            _ => throw new RpcException(new Status(StatusCode.Unavailable, "connection refused by 127.0.0.1:7201"))));

        Assert.IsType<BrokenCircuitException>(seen);
        var (state, cause) = Assert.Single(changes);
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Open, state);
        Assert.Contains("connection refused by 127.0.0.1:7201", Assert.IsType<RpcException>(cause).Status.Detail);
    }

    [Fact]
    public void Both_shapes_of_a_partner_hanging_up_after_the_TLS_handshake_read_as_a_refused_certificate()
    {
        // With TLS 1.3 the server checks our certificate after our side finished the handshake; .NET then sees
        // either a response that ended, or an HTTP/2 connection that was never established.
        var ended = new RpcException(new Status(StatusCode.Unavailable, "Error starting gRPC call.",
            new HttpRequestException("An error occurred while sending the request.",
                new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."))));
        var noHttp2 = new RpcException(new Status(StatusCode.Internal, "Error starting gRPC call.",
            new HttpRequestException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.")));

        Assert.Equal(FailureCause.TlsRefusedByPartner, DeliveryErrors.Classify("BE", ended, null).Cause);
        Assert.Equal(FailureCause.TlsRefusedByPartner, DeliveryErrors.Classify("BE", noHttp2, null).Cause);
        Assert.StartsWith("TLS refused by partner: BE closed the connection before answering, most likely refusing our TLS certificate",
            DeliveryErrors.Classify("BE", noHttp2, null).ToString());

        // A call that failed in HTTP before reaching the partner's service is never blamed on the partner.
        var neverStarted = new RpcException(new Status(StatusCode.Internal, "Error starting gRPC call.", new HttpRequestException("proxy tunnel failed")));
        Assert.Equal(FailureCause.Unreachable, DeliveryErrors.Classify("BE", neverStarted, null).Cause);
    }

    private static KpNode.Configuration.NodeConfig Config()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kpnode-tests", "cause-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "pki"));
        var file = Path.Combine(dir, "za.json");
        File.WriteAllText(file, """{ "Node": { "Participant": "ZA", "ExportingAuthority": "KP authority of ZA", "IssuingPrefixes": ["ZA"], "DataDirectory": "data", "PkiDirectory": "pki", "PeerEndpoint": "127.0.0.1:0", "LocalEndpoint": "127.0.0.1:0" } }""");
        try
        {
            return KpNode.Configuration.NodeConfig.Load(file);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
