using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Hosting;

/// <summary>
/// The claims each TLS handshake admitted, kept with the connection's client certificate (Kestrel hands the
/// requests of that connection the same instance) for as long as the connection holds it.
/// </summary>
internal sealed class AdmittedCallers
{
    private readonly ConditionalWeakTable<X509Certificate2, ClaimsPrincipal> _byCertificate = [];

    /// <summary>Wraps a gate for Kestrel's handshake callback: admits the certificate if the gate gives it claims.</summary>
    public Func<X509Certificate2, bool> Through(Func<X509Certificate2, ClaimsPrincipal?> gate) => certificate =>
    {
        if (gate(certificate) is not { } caller)
        {
            return false;
        }

        _byCertificate.AddOrUpdate(certificate, caller);
        return true;
    };

    public ClaimsPrincipal? Find(X509Certificate2 certificate) => _byCertificate.TryGetValue(certificate, out var caller) ? caller : null;
}
