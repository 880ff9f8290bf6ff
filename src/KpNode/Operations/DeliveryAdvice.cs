using KpNode.Configuration;
using KpNode.Outbox;

namespace KpNode.Operations;

/// <summary>What each cause of a failed delivery means to an operator, and what to do about it.</summary>
internal static class DeliveryAdvice
{
    /// <summary>The advice for <paramref name="cause"/>, naming the partner, us, and the delivery settings that bear on it.</summary>
    public static string For(FailureCause cause, string partner, string us, DeliveryOptions delivery) => cause switch
    {
        FailureCause.Unreachable =>
            $"No connection to {partner}'s node. Check that it is running and that its address in Node:Partners is right and reachable from here (DNS, firewall). "
            + "Nothing is lost: messages wait in the outbox and go out when it is back. 'kpnode peer ping' tests the link.",
        FailureCause.TlsRefusedByPartner =>
            $"{partner}'s node refused our TLS certificate: it does not trust our root, or our node certificate expired. "
            + $"Send {partner} our root.crt out of band and ask them to configure it as {us}'s root; check that our node.crt is still valid. "
            + $"If {partner} confirms it trusts our root, its node may be failing mid-call: ask {partner} to check its logs.",
        FailureCause.PartnerCertificateUntrusted =>
            $"We refused {partner}'s TLS certificate (expired, or not from the root configured for {partner}). "
            + $"Check Node:Partners ({partner}) RootCertificate holds {partner}'s current root; if {partner} renewed its PKI, ask for the new root.crt, else ask {partner} to renew its node certificate.",
        FailureCause.SignatureRejected =>
            $"{partner} did not accept our signature. Check that our signing.crt is valid and chains to the root {partner} holds for {us}; after a root change, send {partner} the new root.crt.",
        FailureCause.RefusedByPolicy =>
            $"{partner} refused the message by policy (see the detail). Check the certificate's importer and exporter, and that {partner} lists {us} as a partner.",
        FailureCause.Timeout =>
            $"{partner}'s node accepted the connection but did not answer within {delivery.AttemptTimeout.TotalSeconds:0.#} s; it may be overloaded. "
            + "Retries continue; raise Node:Delivery:AttemptTimeout if the link is slow.",
        FailureCause.CircuitOpen =>
            $"Recent deliveries to {partner} failed, so the node pauses {delivery.BreakerBreakDuration.TotalSeconds:0.#} s between tries. "
            + $"'kpnode peer retry-now {partner}' tries at once.",
        FailureCause.InvalidReceipt =>
            $"{partner} answered, but its receipt is not valid proof, so nothing is marked delivered. Ask {partner}'s operators to check their signing certificate and node version.",
        FailureCause.PartnerError =>
            $"{partner}'s node answered with an error. Ask {partner}'s operators to check their node's logs.",
        _ => "Check this node's log for the full error.",
    };
}
