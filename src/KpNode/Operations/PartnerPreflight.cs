using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>The last pre-flight hello with one partner: when, what disagrees, or why it could not be made.</summary>
internal sealed record PreflightResult(DateTimeOffset At, IReadOnlyList<PreflightProblem> Problems, string Error);

/// <summary>
/// The pre-flight hello: at start and every <see cref="OperationsOptions.PreflightInterval"/>, each partner's signed
/// <see cref="Hello"/> is compared with what we speak, use and expect, so that a mismatch (a payload type it does not
/// take, a clock far off, our key revoked in its eyes, its policy refusing us) shows in status before the first
/// certificate is refused.
/// </summary>
internal sealed class PartnerPreflight(
    PeerChannels channels, EnvelopeVerifier verifier, Partners partners, NodeCredentials credentials, RevokedKeys revokedKeys, NodeConfig config,
    IOptions<DeliveryOptions> delivery, IOptions<OperationsOptions> options, IHostApplicationLifetime lifetime, TimeProvider time,
    INodeStore store, ILogger<PartnerPreflight> logger)
    : BackgroundService
{
    /// <summary>The wire contract versions this build speaks.</summary>
    public static readonly IReadOnlyList<string> ProtocolVersions = ["kp.v1"];

    private readonly ConcurrentDictionary<string, PreflightResult> _results = new(StringComparer.Ordinal);

    /// <summary>The last result for <paramref name="partner"/>, or null before the first hello was tried.</summary>
    public PreflightResult? ResultFor(string partner) => _results.GetValueOrDefault(partner);

    private readonly ConcurrentDictionary<string, Task> _greeters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _wakeUps = new(StringComparer.Ordinal);
    private CancellationToken _stopping;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        // Only once our own endpoints listen: a partner greeted earlier may answer by delivering to us at once.
        lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var partner in partners.All)
                Greet(partner.Code);
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Greets <paramref name="code"/> now, and from then on every <see cref="OperationsOptions.PreflightInterval"/>: at start,
    /// and when the partner is added or updated while the node runs.
    /// </summary>
    public void Greet(string code)
    {
        if (_greeters.TryGetValue(code, out var running) && !running.IsCompleted)
        {
            // Already greeting: cut its wait short.
            try
            {
                if (_wakeUps.TryGetValue(code, out var wake))
                    wake.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Between two waits: the next hello is already on its way.
            }

            return;
        }

        _greeters[code] = GreetAsync(code, _stopping);
    }

    private async Task GreetAsync(string code, CancellationToken ct)
    {
        // A partner not reachable yet (it starts after us, or is down) is asked again soon, then less often.
        var retry = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested && partners.Find(code) is { } partner)
        {
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _wakeUps[code] = wake;
            try
            {
                var result = await HelloAsync(partner, ct);
                var wait = result.Error.Length == 0 ? options.Value.PreflightInterval : retry;
                retry = result.Error.Length == 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, options.Value.PreflightRetryDelay.Ticks));
                await Task.Delay(wait, time, wake.Token);
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                return;
            }
            catch (OperationCanceledException) when (wake.IsCancellationRequested)
            {
                // Woken by Greet: the partner changed; greet it again at once.
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Never a silent end: the hello is tried again after the retry delay.
                Log.PreflightFailed(logger, code, e.Message);
                await Task.Delay(options.Value.PreflightRetryDelay, time, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        _results.TryRemove(code, out _);
    }

    /// <summary>One hello with <paramref name="partner"/>, recorded and returned.</summary>
    public async Task<PreflightResult> HelloAsync(Partner partner, CancellationToken ct)
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var sentAt = time.GetUtcNow();
        PreflightResult result;
        try
        {
            var response = await channels.ClientFor(partner).HelloAsync(new HelloRequest { Nonce = ByteString.CopyFrom(nonce) },
                deadline: sentAt.UtcDateTime + delivery.Value.AttemptTimeout, cancellationToken: ct);
            var answeredAt = time.GetUtcNow();
            result = new PreflightResult(answeredAt, Compare(partner, Verify(partner, response.Hello, nonce, answeredAt), sentAt + (answeredAt - sentAt) / 2), "");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            result = new PreflightResult(time.GetUtcNow(), [Problem("protocol",
                $"{partner.Code}'s node does not answer the pre-flight hello: it runs an older KpNode",
                $"ask {partner.Code} to upgrade; until then mismatches show only when a message is refused")], "");
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            result = new PreflightResult(time.GetUtcNow(), [], DeliveryErrors.Classify(partner.Code, e, channels.LastServerRefusal(partner.Code)).ToString());
        }
        catch (HelloRefusedException e)
        {
            result = new PreflightResult(time.GetUtcNow(), [], e.Message);
        }

        var previous = _results.GetValueOrDefault(partner.Code);
        _results[partner.Code] = result;
        var described = result.Error.Length > 0 ? result.Error : string.Join("; ", result.Problems.Select(p => p.Cause));
        if (previous is null || Described(previous) != described)
        {
            if (result.Error.Length == 0 && result.Problems.Count == 0)
                Log.PreflightAgreed(logger, partner.Code);
            else if (result.Error.Length == 0)
                Log.PreflightMismatch(logger, partner.Code, described);
            else
                Log.PreflightFailed(logger, partner.Code, described);
        }

        return result;

        static string Described(PreflightResult r) => r.Error.Length > 0 ? r.Error : string.Join("; ", r.Problems.Select(p => p.Cause));
    }

    private Hello Verify(Partner partner, Envelope? envelope, byte[] nonce, DateTimeOffset now)
    {
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(envelope ?? new Envelope(), partner.Anchors, now);
        }
        catch (EnvelopeVerificationException e)
        {
            throw new HelloRefusedException($"{partner.Code}'s signed hello does not verify against the root configured for {partner.Code}: {e.Message}");
        }

        Hello hello;
        try
        {
            hello = verified.PayloadType == PayloadTypes.Hello ? Hello.Parser.ParseFrom(verified.Payload.Span) : new Hello();
        }
        catch (InvalidProtocolBufferException)
        {
            hello = new Hello();
        }

        var problem = verified.SignerParticipant != partner.Code ? $"the hello is signed by {verified.SignerParticipant}, not {partner.Code}"
            : verified.PayloadType != PayloadTypes.Hello ? $"the answer is a {Domain.Printable.Of(verified.PayloadType, 100)}, not a hello"
            : !hello.Nonce.Span.SequenceEqual(nonce) ? "the hello does not echo our nonce (a replayed or foreign answer)"
            : hello.Responder != partner.Code ? $"the hello says it is from {Domain.Printable.Of(hello.Responder, 40)}, not {partner.Code}"
            : null;
        return problem is null ? hello : throw new HelloRefusedException($"{partner.Code}: {problem}");
    }

    /// <summary>Every way <paramref name="hello"/> disagrees with this node, each with its cause and what to do.</summary>
    internal IReadOnlyList<PreflightProblem> Compare(Partner partner, Hello hello, DateTimeOffset ourTime)
    {
        var them = partner.Code;
        var problems = new List<PreflightProblem>();
        var versions = hello.ProtocolVersions.Select(v => Domain.Printable.Of(v, 40)).ToList();
        if (!ProtocolVersions.Any(hello.ProtocolVersions.Contains))
            problems.Add(Problem("protocol", $"{them} speaks {(versions.Count == 0 ? "no protocol version we know" : string.Join(", ", versions))}, not {string.Join(", ", ProtocolVersions)}",
                $"one of the nodes must be upgraded; ask {them} which KpNode version it runs ({Domain.Printable.Of(hello.NodeVersion, 40)})"));

        foreach (var type in CertificateWorkflow.DeliverablePayloadTypes.Where(t => !hello.AcceptedPayloadTypes.Contains(t)))
            problems.Add(Problem("payload-type", $"{them} does not accept payload type {type}",
                $"messages of that type to {them} will be refused; ask {them} to upgrade its node ({Domain.Printable.Of(hello.NodeVersion, 40)})"));

        if (hello.Clock is { } clock)
        {
            var skew = clock.ToDateTimeOffset() - ourTime;
            if (skew.Duration() > options.Value.MaxClockSkew)
            {
                var minutes = Math.Round(skew.Duration().TotalMinutes);
                problems.Add(Problem("clock", $"clocks differ by {minutes:0} minutes ({them} is {(skew > TimeSpan.Zero ? "ahead" : "behind")})",
                    $"signatures, receipts and expiry are judged by time: check NTP on this node and ask {them} to check theirs (allowed: {options.Value.MaxClockSkew.TotalMinutes:0.#} minutes, {ConfigKeys.Key(ConfigKeys.Operations, "MaxClockSkew")})"));
            }
        }

        if (hello.MaxMessageBytes > 0 && hello.MaxMessageBytes < config.Options.MaxMessageBytes)
            problems.Add(Problem("message-size", $"{them} receives messages up to {hello.MaxMessageBytes:N0} bytes; ours may be up to {config.Options.MaxMessageBytes:N0}",
                $"a certificate larger than {hello.MaxMessageBytes:N0} bytes will be refused by {them}; agree one {ConfigKeys.Key(ConfigKeys.Node, "MaxMessageBytes")} with {them}"));

        var leaves = credentials.Current;
        foreach (var revoked in hello.CallerRevoked)
        {
            var serial = RevocationList.CanonicalSerial(revoked.Serial);
            if (serial == RevocationList.CanonicalSerial(leaves.DocumentSigning.SerialNumber))
                problems.Add(Problem("revoked-signing", $"{them} has revoked our signing certificate {leaves.DocumentSigning.SerialNumber} (our revocation list {hello.CallerCrlNumber})",
                    $"{them} refuses everything it signs: install a new one ('kpnode pki request --purpose signing --pki {credentials.PkiDirectory}', 'pki sign', 'pki install', 'pki reload')"));
            if (serial == RevocationList.CanonicalSerial(leaves.NodeTls.SerialNumber))
                problems.Add(Problem("revoked-tls", $"{them} has revoked our TLS certificate {leaves.NodeTls.SerialNumber} (our revocation list {hello.CallerCrlNumber})",
                    $"{them} refuses our connections: install a new one ('kpnode pki request --purpose tls --pki {credentials.PkiDirectory}', 'pki sign', 'pki install', 'pki reload')"));
        }

        if (revokedKeys.ListOf(config.Participant) is { } ours && (long)ours.Number > hello.CallerCrlNumber)
            problems.Add(Problem("revocation-list", $"{them} holds our revocation list {hello.CallerCrlNumber}, not {(long)ours.Number}",
                $"{them} still accepts what our newer list revokes until our notice arrives: {NoticeState(them)}"));

        if (hello.Health == PeerHealth.NotServing)
            problems.Add(Problem("health", $"{them}'s node says it is not serving: its own health checks fail (a damaged or unreadable store)",
                $"what touches its damaged records is refused until it is mended; ask {them}'s operator to run 'kpnode status' and 'kpnode store check' on their node"));

        if (hello.CallerStanding == CallerStanding.Suspended)
            problems.Add(Problem("standing", $"{them}'s trade policy currently refuses our certificates (we are Suspended there)",
                $"certificates to {them} will be refused until {them} readmits us; settle it with {them}'s authority"));
        return problems;
    }

    // Where our notice of our current list to the partner is, so the advice names what is true of it.
    private string NoticeState(string them)
    {
        if (store.FindRevocationList(config.Participant) is not { } ours || !ours.NoticesSent.TryGetValue(them, out var id))
            return $"no notice was queued for {them}; 'kpnode partner reload' queues it";
        return store.FindMessage(id)?.Status switch
        {
            MessageStatus.Pending => $"notice {id} waits in the outbox ('kpnode outbox list --partner {them}' shows it)",
            MessageStatus.Delivered => $"{them} has since signed the receipt of notice {id}: its next hello shows the list",
            var status => $"notice {id} was {status?.ToString() ?? "lost from the store"}, not taken; settle it with {them}'s operator, then publish a newer list ('kpnode pki revoke', 'kpnode pki publish')",
        };
    }

    private static PreflightProblem Problem(string kind, string cause, string advice) => new() { Kind = kind, Cause = cause, Advice = advice };

    /// <summary>A hello that is not valid proof of what the partner holds.</summary>
    private sealed class HelloRefusedException(string message) : Exception(message);
}
