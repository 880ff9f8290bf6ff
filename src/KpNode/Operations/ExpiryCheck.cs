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
internal sealed record ExpiryEntry(
    CredentialRole Role, string Owner, string Subject, DateTimeOffset NotAfter, TimeSpan Remaining, bool Warning, string Advice, IReadOnlyList<string> RenewSteps)
{
    /// <summary>The step that starts the renewal, on the node; empty when it is not renewed by commands on this node.</summary>
    public string RenewCommand => RenewSteps.Count > 0 ? RenewSteps[0] : "";

    /// <summary>Whole days left, rounded down; negative once expired.</summary>
    public int DaysLeft => (int)Math.Floor(Remaining.TotalDays);

    public bool Expired => Remaining <= TimeSpan.Zero;
}

/// <summary>Checks our root, TLS, signing and operator certificates and every partner root against Node:Operations:ExpiryWarningDays.</summary>
internal sealed class ExpiryCheck(NodeCredentials node, Partners partners, NodeConfig config, IOptions<OperationsOptions> options, TimeProvider time)
{
    /// <summary>What stands for the root key's path when it is not beside the node's PKI (kept offline, as it should be).</summary>
    internal const string RootKeyPlaceholder = "ROOT_KEY";

    public IReadOnlyList<ExpiryEntry> Check()
    {
        var now = time.GetUtcNow();
        var window = TimeSpan.FromDays(options.Value.ExpiryWarningDays);
        var credentials = node.Current;
        var us = credentials.Participant;
        var configFile = Quote(config.FilePath);
        var entries = new List<ExpiryEntry>
        {
            Entry(CredentialRole.Root, us, node.Root, [],
                $"Our root expires: make a new root well ahead and announce it with a card signed by both roots "
                + $"('kpnode partner card --root-key OLD --root-key NEW --config {configFile} --out FILE'), which each partner takes with "
                + "'kpnode partner update FILE'; switch to the new root once every partner has taken it."),
            Leaf(CredentialRole.NodeTls, LeafKind.NodeTls, credentials.NodeTls, "node TLS", ""),
            Leaf(CredentialRole.DocumentSigning, LeafKind.DocumentSigning, credentials.DocumentSigning, "document-signing", ""),
            Leaf(CredentialRole.Operator, LeafKind.Operator, credentials.Operator, "operator", " The CLI and the container health check use it."),
        };
        entries.AddRange(partners.All.OrderBy(p => p.Code, StringComparer.Ordinal).Select(p => Entry(CredentialRole.PartnerRoot, p.Code, p.Root, [],
            $"{p.Code}'s root expires: ask {p.Code} for its new card (signed by its old and new root) and run "
            + $"'kpnode partner update FILE --config {configFile}'; the running node takes it at once.")));
        return entries;

        ExpiryEntry Leaf(CredentialRole role, LeafKind kind, X509Certificate2 certificate, string what, string more)
        {
            var steps = RenewSteps(kind, certificate, node.PkiDirectory, config.FilePath);
            return Entry(role, us, certificate, steps,
                $"Renew the {what} certificate (no restart; partners need no change): run '{steps[0]}' on the node; "
                + $"'{steps[1]}' where the root key is kept (the request copied there, the certificate it writes copied back); "
                + $"then '{steps[2]}' and '{steps[3]}' on the node.{more}");
        }

        ExpiryEntry Entry(CredentialRole role, string owner, X509Certificate2 certificate, IReadOnlyList<string> steps, string advice)
        {
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            var remaining = notAfter - now;
            var warning = remaining <= window;
            return new ExpiryEntry(role, owner, certificate.Subject, notAfter, remaining, warning, warning ? advice : "", steps);
        }
    }

    /// <summary>
    /// Renewing <paramref name="certificate"/>, every command in order as README's rotation block runs them: request on the
    /// node, sign where the root key is (its path when the key lies beside the PKI, else <see cref="RootKeyPlaceholder"/>),
    /// install and reload on the node.
    /// </summary>
    internal static IReadOnlyList<string> RenewSteps(LeafKind kind, X509Certificate2 certificate, string pkiDirectory, string configFile)
    {
        var pki = Quote(pkiDirectory);
        var rootKey = Path.Combine(pkiDirectory, PkiFiles.RootKey);
        var request = PkiRotation.PendingRequestPath(pkiDirectory, kind);
        return
        [
            RenewCommand(kind, certificate, pki),
            $"kpnode pki sign --root-key {(File.Exists(rootKey) ? Quote(rootKey) : RootKeyPlaceholder)} {Quote(request)}",
            $"kpnode pki install {Quote(Path.ChangeExtension(request, ".crt"))} --pki {pki}",
            $"kpnode pki reload --config {Quote(configFile)}",
        ];
    }

    /// <summary>The <c>pki request</c> that asks for a successor to <paramref name="certificate"/> with the same names.</summary>
    internal static string RenewCommand(LeafKind kind, X509Certificate2 certificate, string quotedPki)
    {
        var command = $"kpnode pki request --purpose {LeafRequest.PurposeName(kind)}";
        var profile = TryProfile(certificate);
        if (kind == LeafKind.NodeTls && profile is not null)
        {
            foreach (var dns in profile.ExtraDnsNames)
                command += $" --dns {Quote(dns)}";
        }

        if (kind == LeafKind.Operator && profile is not null)
        {
            if (profile.OperatorDisplayName is { } display)
                command += $" --name {Quote(display)}";
            if (profile.OperatorName != CertificateAuthority.DefaultOperatorName && (profile.OperatorDisplayName is null || OperatorNames.IdFor(profile.OperatorDisplayName) != profile.OperatorName))
                command += $" --id {Quote(profile.OperatorName)}";
        }

        return command + $" --pki {quotedPki}";
    }

    private static LeafProfile? TryProfile(X509Certificate2 certificate)
    {
        try
        {
            return LeafRequest.ProfileOf(certificate, "");
        }
        catch (LeafRequestException)
        {
            return null;
        }
    }

    /// <summary>A shell word as typed: as is when it holds only safe characters, in single quotes otherwise.</summary>
    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or ':' or '=' or '+' or ',')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
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
