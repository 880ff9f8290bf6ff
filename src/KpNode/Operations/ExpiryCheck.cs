using System.Security.Cryptography.X509Certificates;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Trust;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>Which of the node's certificates an expiry entry is about.</summary>
internal enum CredentialRole
{
    Root = 1,
    NodeTls = 2,
    DocumentSigning = 3,
    Operator = 4,
    PartnerRoot = 5,
}

/// <summary>When one certificate expires, and whether that is close enough to warn about.</summary>
internal sealed record ExpiryEntry(CredentialRole Role, string Owner, string Subject, DateTimeOffset NotAfter, TimeSpan Remaining, bool Warning, string Advice)
{
    /// <summary>Whole days left, rounded down; negative once expired.</summary>
    public int DaysLeft => (int)Math.Floor(Remaining.TotalDays);

    public bool Expired => Remaining <= TimeSpan.Zero;
}

/// <summary>Checks our root, TLS, signing and operator certificates and every partner root against Node:Operations:ExpiryWarningDays.</summary>
internal sealed class ExpiryCheck(ParticipantCredentials credentials, Partners partners, IOptions<OperationsOptions> options, TimeProvider time)
{
    public IReadOnlyList<ExpiryEntry> Check()
    {
        var now = time.GetUtcNow();
        var window = TimeSpan.FromDays(options.Value.ExpiryWarningDays);
        var us = credentials.Participant;
        var entries = new List<ExpiryEntry>
        {
            Entry(CredentialRole.Root, us, credentials.Root,
                $"Our root expires: create a new PKI well ahead, send every partner the new root.crt out of band, and switch once all have configured it."),
            Entry(CredentialRole.NodeTls, us, credentials.NodeTls,
                "Issue a new node TLS certificate from our root into the PKI folder and restart the node; partners need no change."),
            Entry(CredentialRole.DocumentSigning, us, credentials.DocumentSigning,
                "Issue a new document-signing certificate from our root into the PKI folder and restart the node; partners need no change."),
            Entry(CredentialRole.Operator, us, credentials.Operator,
                "Issue a new operator certificate from our root: the CLI and the container health check use it."),
        };
        entries.AddRange(partners.All.OrderBy(p => p.Code, StringComparer.Ordinal).Select(p => Entry(CredentialRole.PartnerRoot, p.Code, p.Root,
            $"{p.Code}'s root expires: ask {p.Code} for its new root.crt and update {ConfigKeys.Partner(p.Code, "RootCertificate")}.")));
        return entries;

        ExpiryEntry Entry(CredentialRole role, string owner, X509Certificate2 certificate, string advice)
        {
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            var remaining = notAfter - now;
            var warning = remaining <= window;
            return new ExpiryEntry(role, owner, certificate.Subject, notAfter, remaining, warning, warning ? advice : "");
        }
    }
}

/// <summary>Logs a warning for every certificate inside the warning window at start and twice a day, so no expiry comes as a surprise.</summary>
internal sealed class ExpiryWatch(ExpiryCheck expiry, TimeProvider time, ILogger<ExpiryWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(12);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var e in expiry.Check().Where(e => e.Warning))
            {
                if (e.Expired)
                {
                    Log.CertificateExpired(logger, e.Role.ToString(), e.Owner, e.Subject, e.NotAfter, e.Advice);
                }
                else
                {
                    Log.CertificateExpiring(logger, e.Role.ToString(), e.Owner, e.Subject, e.DaysLeft, e.NotAfter, e.Advice);
                }
            }

            try
            {
                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
