using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Exchange;
using KpNode.Outbox;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>
/// A signed round trip to a partner: a fresh nonce through its Peer API's Ping, and an answer that must verify
/// against the partner's configured root, name the partner as signer and responder, and echo the nonce.
/// </summary>
internal sealed class PeerPing(
    PeerChannels channels, EnvelopeVerifier verifier, IOptions<DeliveryOptions> delivery, NodeConfig config, NodeCredentials credentials,
    TimeProvider time)
{
    public async Task<PingPeerResponse> PingAsync(Partner partner, CancellationToken ct)
    {
        var response = new PingPeerResponse
        {
            Partner = partner.Code,
            Address = partner.Address.ToString(),
            OurCertificateSubject = credentials.Current.NodeTls.Subject,
        };
        var nonce = RandomNumberGenerator.GetBytes(32);
        var clock = Stopwatch.StartNew();
        PingResponse answer;
        try
        {
            answer = await channels.ClientFor(partner).PingAsync(new PingRequest { Nonce = ByteString.CopyFrom(nonce) },
                deadline: time.GetUtcNow().UtcDateTime + delivery.Value.AttemptTimeout, cancellationToken: ct);
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            return Failed(response, DeliveryErrors.Classify(partner.Code, e, channels.LastServerRefusal(partner.Code)));
        }

        clock.Stop();
        response.Latency = Duration.FromTimeSpan(clock.Elapsed);
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(answer.Answer ?? new Envelope(), partner.Anchors, time.GetUtcNow());
        }
        catch (EnvelopeVerificationException e)
        {
            return Failed(response, new DeliveryFailure(FailureCause.PartnerCertificateUntrusted,
                $"{partner.Code}'s signed answer does not verify against the root configured for {partner.Code}: {e.Message}"));
        }

        PingAnswer payload;
        try
        {
            payload = verified.PayloadType == PayloadTypes.PingAnswer ? PingAnswer.Parser.ParseFrom(verified.Payload.Span) : new PingAnswer();
        }
        catch (InvalidProtocolBufferException)
        {
            payload = new PingAnswer();
        }

        var problem = verified.SignerParticipant != partner.Code ? $"the answer is signed by {verified.SignerParticipant}, not {partner.Code}"
            : verified.PayloadType != PayloadTypes.PingAnswer ? $"the answer is a {verified.PayloadType}, not a ping answer"
            : !payload.Nonce.Span.SequenceEqual(nonce) ? "the answer does not echo our nonce (a replayed or foreign answer)"
            : payload.Responder != partner.Code ? $"the answer says it is from {Domain.Printable.Of(payload.Responder, 40)}, not {partner.Code}"
            : null;
        if (problem is not null)
        {
            return Failed(response, new DeliveryFailure(FailureCause.InvalidReceipt, $"{partner.Code}: {problem}"));
        }

        response.Ok = true;
        response.Responder = payload.Responder;
        // The partner wrote these: shown to our operator escaped and bounded.
        response.ResponderSignerSubject = Domain.Printable.Of(verified.SignerCertificate.Subject);
        response.ResponderVersion = Domain.Printable.Of(payload.Version, 100);
        response.AnsweredAt = payload.AnsweredAt;
        response.CallerSeenByPartner = Domain.Printable.Of(payload.Caller, 200);
        response.PartnerHealth = payload.Health;
        return response;

        PingPeerResponse Failed(PingPeerResponse r, DeliveryFailure failure)
        {
            r.Cause = (DeliveryFailureCause)(int)failure.Cause;
            r.Error = failure.ToString();
            r.Advice = DeliveryAdvice.For(failure.Cause, partner.Code, config.Participant, config.Options.Delivery);
            return r;
        }
    }
}
