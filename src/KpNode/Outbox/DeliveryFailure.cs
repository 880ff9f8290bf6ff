using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using KpNode.Workflow;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace KpNode.Outbox;

/// <summary>Why a delivery or ping to a partner failed, as an operator would distinguish it.</summary>
internal enum FailureCause
{
    Unreachable = 1,
    TlsRefusedByPartner = 2,
    PartnerCertificateUntrusted = 3,
    SignatureRejected = 4,
    RefusedByPolicy = 5,
    Timeout = 6,
    CircuitOpen = 7,
    InvalidReceipt = 8,
    PartnerError = 9,
    Other = 10,
}

/// <summary>A classified failure: the cause, and what was observed (stored as "label: detail" in the outbox row).</summary>
internal sealed record DeliveryFailure(FailureCause Cause, string Detail)
{
    public override string ToString() => $"{DeliveryErrors.Label(Cause)}: {Detail}";
}

/// <summary>
/// Turns a failed delivery into a cause an operator can act on: classifies the raw exception (the TLS cases look
/// alike to a gRPC client, so the chain of inner exceptions is read); what to do about each cause is the operations'
/// advice.
/// </summary>
internal static class DeliveryErrors
{
    private static readonly (FailureCause Cause, string Label)[] Labels =
    [
        (FailureCause.Unreachable, "unreachable"),
        (FailureCause.TlsRefusedByPartner, "TLS refused by partner"),
        (FailureCause.PartnerCertificateUntrusted, "partner certificate not trusted"),
        (FailureCause.SignatureRejected, "signature rejected"),
        (FailureCause.RefusedByPolicy, "refused by policy"),
        (FailureCause.Timeout, "timeout"),
        (FailureCause.CircuitOpen, "circuit open"),
        (FailureCause.InvalidReceipt, "invalid receipt"),
        (FailureCause.PartnerError, "partner error"),
        (FailureCause.Other, "error"),
    ];

    public static string Label(FailureCause cause) => Labels.First(l => l.Cause == cause).Label;

    /// <summary>The partner answered and refused: its node is up, so the problem is trust, policy or the partner's own, not the link.</summary>
    public static bool IsRefusal(FailureCause cause) =>
        cause is FailureCause.SignatureRejected or FailureCause.RefusedByPolicy or FailureCause.InvalidReceipt or FailureCause.PartnerError;

    /// <summary>
    /// Classifies a failed call to <paramref name="partner"/>. <paramref name="serverRefusal"/> is why our side
    /// last refused the partner's TLS certificate, if it did (the exception alone does not say).
    /// </summary>
    public static DeliveryFailure Classify(string partner, Exception e, string? serverRefusal)
    {
        switch (e)
        {
            case BrokenCircuitException:
                return new(FailureCause.CircuitOpen, $"recent deliveries to {partner} failed, so the node is pausing before the next try");
            case TimeoutRejectedException:
            case RpcException { StatusCode: StatusCode.DeadlineExceeded }:
                return new(FailureCause.Timeout, $"{partner} did not answer in time");
            case InvalidReceiptException r:
                return new(FailureCause.InvalidReceipt, $"{partner} answered with an invalid receipt: {r.Message}");
            case RpcException { StatusCode: StatusCode.Unauthenticated } r:
                return new(FailureCause.SignatureRejected, $"{partner} did not accept our signature: {r.Status.Detail}");
            case RpcException { StatusCode: StatusCode.PermissionDenied } r:
                return new(FailureCause.RefusedByPolicy, $"{partner} refused us: {r.Status.Detail}");
            case RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown } r when Transport(r) is { } transport:
                return transport;
            case RpcException r:
                return new(FailureCause.PartnerError, $"{partner} answered {r.StatusCode}: {r.Status.Detail}");
            default:
                return new(FailureCause.Other, $"{e.GetType().Name}: {e.Message}");
        }

        DeliveryFailure? Transport(RpcException r)
        {
            var chain = Chain(r.Status.DebugException).ToList();
            var innermost = chain.LastOrDefault()?.Message ?? r.Status.Detail;
            if (chain.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
            {
                // Our RemoteCertificateValidationCallback said no: the partner's certificate is the problem.
                if (serverRefusal is not null || tls.Message.Contains("RemoteCertificateValidationCallback", StringComparison.Ordinal))
                {
                    return new(FailureCause.PartnerCertificateUntrusted,
                        $"we refused {partner}'s TLS certificate: {serverRefusal ?? tls.Message}");
                }

                // Anything else in the handshake (typically a TLS alert from the partner) means it refused us.
                return new(FailureCause.TlsRefusedByPartner, $"{partner} ended the TLS handshake: {tls.Message}");
            }

            if (chain.OfType<SocketException>().FirstOrDefault() is { } socket
                && socket.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown))
            {
                return new(FailureCause.Unreachable, $"{partner}: {socket.Message}");
            }

            if (chain.OfType<HttpRequestException>().FirstOrDefault(h => h.HttpRequestError is HttpRequestError.ConnectionError
                    or HttpRequestError.NameResolutionError) is { } connect
                && chain.OfType<SocketException>().All(s => s.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.ConnectionAborted)))
            {
                return new(FailureCause.Unreachable, $"{partner}: {innermost}");
            }

            // The connection opened, then the partner hung up before any answer: with TLS 1.3 this is how a
            // server's refusal of our client certificate reaches us (the handshake completes on our side first).
            // Or, when the refusal lands between the TLS and the HTTP/2 handshakes, as an HTTP/2 connection that
            // "could not be established" without any protocol error code from the partner (only the text tells).
            if (chain.Any(x => x is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }
                    || x is HttpRequestException or IOException && !chain.OfType<HttpProtocolException>().Any()
                        && x.Message.Contains("HTTP/2 connection could not be established", StringComparison.Ordinal)
                    || x is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted }
                    || x is IOException && x.Message.Contains("ended prematurely", StringComparison.OrdinalIgnoreCase)))
            {
                return new(FailureCause.TlsRefusedByPartner, $"{partner} closed the connection before answering, most likely refusing our TLS certificate ({innermost})");
            }

            // Any other failure of the HTTP request itself: the call never reached the partner's service.
            return r.StatusCode == StatusCode.Unavailable || chain.OfType<HttpRequestException>().Any()
                ? new(FailureCause.Unreachable, $"{partner}: {innermost}")
                : null;
        }
    }

    /// <summary>Reads back the cause of a failure stored as text by <see cref="DeliveryFailure.ToString"/>.</summary>
    public static DeliveryFailure? Parse(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return null;
        }

        foreach (var (cause, label) in Labels)
        {
            if (stored.StartsWith(label + ": ", StringComparison.Ordinal))
            {
                return new DeliveryFailure(cause, stored[(label.Length + 2)..]);
            }
        }

        return new DeliveryFailure(FailureCause.Other, stored);
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

/// <summary>A classified delivery failure and when it happened.</summary>
internal sealed record FailureSeen(DeliveryFailure Failure, DateTimeOffset At);
