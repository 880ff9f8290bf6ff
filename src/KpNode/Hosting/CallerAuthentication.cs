using System.Text.Encodings.Web;
using KpNode.Exchange;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace KpNode.Hosting;

/// <summary>
/// Authenticates each call as the caller its connection's handshake admitted: the claims were built there, from a
/// certificate our gates validated against the configured roots, so the chain is not validated a second time.
/// </summary>
internal sealed class CallerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdmittedCallers admitted)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Connection.ClientCertificate is not { } certificate)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        return Task.FromResult(admitted.Find(certificate) is { } caller
            ? AuthenticateResult.Success(new AuthenticationTicket(caller, Callers.Scheme))
            : AuthenticateResult.Fail("the client certificate was not admitted by this connection's handshake"));
    }
}
