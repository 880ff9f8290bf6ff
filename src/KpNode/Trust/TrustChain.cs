using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>Why a certificate was not accepted.</summary>
internal enum TrustFailure
{
    UntrustedRoot = 1,
    Expired = 2,
    NotYetValid = 3,
    WrongKeyUsage = 4,
    MissingParticipant = 5,
    Malformed = 6,
    Other = 7,
    /// <summary>The leaf names a participant other than the one its root belongs to.</summary>
    ParticipantMismatch = 8,
}

/// <summary>The outcome of validating a certificate: the anchor and participant it proved, or the failure in words.</summary>
internal sealed record ChainResult
{
    [MemberNotNullWhen(true, nameof(Anchor), nameof(Participant))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsTrusted { get; private init; }

    /// <summary>The configured trust anchor instance the certificate chained to.</summary>
    public X509Certificate2? Anchor { get; private init; }

    /// <summary>The participant code from the leaf's <c>kp:participant:</c> URI SAN.</summary>
    public string? Participant { get; private init; }

    public TrustFailure? Failure { get; private init; }

    /// <summary>Empty when trusted; otherwise a sentence an operator can act on.</summary>
    public string Message { get; private init; } = "";

    public static ChainResult Trusted(X509Certificate2 anchor, string participant) =>
        new() { IsTrusted = true, Anchor = anchor, Participant = participant };

    public static ChainResult Refused(TrustFailure failure, string message) =>
        new() { IsTrusted = false, Failure = failure, Message = message };
}

/// <summary>
/// Validates certificates against an explicit set of trust anchors only (never the OS store), for
/// envelope signers and TLS peers alike. Holds a cache of successful validations; share one instance.
/// </summary>
internal sealed class TrustChain
{
    private const int CacheLimit = 10_000;

    private readonly ConcurrentDictionary<CacheKey, CachedChain> _cache = new();
    private readonly IReadOnlyCollection<X509Certificate2> _defaultAnchors;

    /// <summary>A validator whose anchors are given with each call.</summary>
    public TrustChain() => _defaultAnchors = [];

    /// <summary>A validator for one fixed anchor set, e.g. the own root for the Local API.</summary>
    public TrustChain(IEnumerable<X509Certificate2> trustAnchors) => _defaultAnchors = [.. trustAnchors];

    /// <summary>Validates against the anchors given at construction.</summary>
    public ChainResult Validate(
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> intermediates,
        string requiredEkuOid,
        DateTimeOffset at,
        string describedAs = "the certificate") =>
        Validate(leaf, intermediates, requiredEkuOid, at, _defaultAnchors, describedAs);

    /// <summary>
    /// Validates <paramref name="leaf"/> for <paramref name="requiredEkuOid"/> at time
    /// <paramref name="at"/> against <paramref name="trustAnchors"/> only.
    /// <paramref name="describedAs"/> starts the failure sentences, e.g. "the signer's certificate".
    /// </summary>
    public ChainResult Validate(
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> intermediates,
        string requiredEkuOid,
        DateTimeOffset at,
        IReadOnlyCollection<X509Certificate2> trustAnchors,
        string describedAs = "the certificate")
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(trustAnchors);
        ArgumentException.ThrowIfNullOrEmpty(requiredEkuOid);

        if (trustAnchors.Count == 0)
            return ChainResult.Refused(TrustFailure.UntrustedRoot, $"{describedAs} cannot be trusted: no trust anchors are configured for this check.");

        // The intermediates are part of the key so that whether an envelope verifies never depends
        // on what was seen before: an x5c missing its issuing CA fails every time, not only on a cold cache.
        var key = new CacheKey(Thumbprint(leaf), SetKey(trustAnchors), SetKey(intermediates), requiredEkuOid);
        if (_cache.TryGetValue(key, out var cached) && cached.ValidFrom <= at && at <= cached.ValidUntil)
        {
            // Hand back the caller's own anchor instance: the one cached may since have been disposed.
            var anchor = trustAnchors.FirstOrDefault(a => Thumbprint(a) == cached.AnchorSha256);
            if (anchor is not null)
                return ChainResult.Trusted(anchor, cached.Participant);
        }

        // A miss, or a hit outside the cached window: a full validation gives the precise failure.
        var result = Build(leaf, intermediates, requiredEkuOid, at, trustAnchors, describedAs, out var validFrom, out var validUntil);
        if (result.IsTrusted)
        {
            // Bounded crudely: valid chains come only from configured partners, so reaching the
            // limit means something unusual; starting over is cheaper than tracking recency.
            if (_cache.Count >= CacheLimit)
                _cache.Clear();
            _cache[key] = new CachedChain(Thumbprint(result.Anchor), result.Participant, validFrom, validUntil);
        }
        return result;
    }

    internal int CachedCount => _cache.Count;

    internal static string Format(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static ChainResult Build(
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> intermediates,
        string eku,
        DateTimeOffset at,
        IReadOnlyCollection<X509Certificate2> anchors,
        string describedAs,
        out DateTimeOffset validFrom,
        out DateTimeOffset validUntil)
    {
        validFrom = DateTimeOffset.MaxValue;
        validUntil = DateTimeOffset.MinValue;

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(anchors.ToArray());
        policy.ExtraStore.AddRange(intermediates.ToArray());
        // The dev PKI publishes no CRL or OCSP responder, so checking would refuse everything;
        // a revocation setting comes with a real CRL distribution point.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        // Never fetch issuers from AIA URLs: the certificate comes from a partner, and chain
        // building must not make the node dial addresses a sender chose.
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = at.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        policy.ApplicationPolicy.Add(new Oid(eku));

        bool built;
        try
        {
            built = chain.Build(leaf);
        }
        catch (CryptographicException e)
        {
            return ChainResult.Refused(TrustFailure.Malformed, $"{describedAs} could not be read for chain building: {e.Message}");
        }

        var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        try
        {
            var top = elements.LastOrDefault();
            var anchor = top is null ? null : anchors.FirstOrDefault(a => a.RawDataMemory.Span.SequenceEqual(top.RawDataMemory.Span));
            if (anchor is null)
                return Untrusted(leaf, anchors, describedAs);
            var refusal = Refusal(chain, built, leaf, eku, at, anchors, describedAs);
            if (refusal is not null)
                return refusal;

            var participant = ParticipantIdentity.FromCertificate(leaf);
            if (participant is null)
                return ChainResult.Refused(TrustFailure.MissingParticipant,
                    $"{describedAs} names no participant: it needs exactly one URI SAN of the form {ParticipantIdentity.ParticipantUriPrefix}<code>.");
            var rootParticipant = ParticipantIdentity.FromCertificate(anchor);
            if (rootParticipant is not null && rootParticipant != participant)
                return ChainResult.Refused(TrustFailure.ParticipantMismatch,
                    $"{describedAs} claims participant {participant} but chains to {rootParticipant}'s root; a participant's root may only vouch for itself.");

            validFrom = elements.Max(c => new DateTimeOffset(c.NotBefore));
            validUntil = elements.Min(c => new DateTimeOffset(c.NotAfter));
            return ChainResult.Trusted(anchor, participant);
        }
        finally
        {
            foreach (var element in elements)
                element.Dispose();
        }
    }

    /// <summary>
    /// Turns the chain status into one failure, most fundamental first: a certificate from the
    /// wrong PKI is reported as untrusted even if it is also expired.
    /// </summary>
    private static ChainResult? Refusal(
        X509Chain chain,
        bool built,
        X509Certificate2 leaf,
        string eku,
        DateTimeOffset at,
        IReadOnlyCollection<X509Certificate2> anchors,
        string describedAs)
    {
        var elements = chain.ChainElements;
        var allFlags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
        foreach (X509ChainElement element in elements)
            allFlags |= element.ChainElementStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);

        const X509ChainStatusFlags untrusted =
            X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid
            | X509ChainStatusFlags.Cyclic | X509ChainStatusFlags.ExplicitDistrust;
        if ((allFlags & untrusted) != 0)
            return Untrusted(leaf, anchors, describedAs);

        // Time: report the first certificate in the chain that is outside its window, leaf first.
        for (var i = 0; i < elements.Count; i++)
        {
            var cert = elements[i].Certificate;
            var who = i == 0 ? describedAs : $"{describedAs}'s issuer '{cert.Subject}'";
            if (at > new DateTimeOffset(cert.NotAfter))
                return ChainResult.Refused(TrustFailure.Expired, $"{who} expired on {Format(cert.NotAfter)} (checked at {Format(at)}).");
            if (at < new DateTimeOffset(cert.NotBefore))
                return ChainResult.Refused(TrustFailure.NotYetValid, $"{who} is not valid until {Format(cert.NotBefore)} (checked at {Format(at)}).");
        }
        if ((allFlags & X509ChainStatusFlags.NotTimeValid) != 0)
            return ChainResult.Refused(TrustFailure.Expired, $"{describedAs} or one of its issuers is outside its validity period at {Format(at)}.");

        // An absent EKU extension passes ApplicationPolicy as "any purpose"; we want the purpose stated.
        var ekus = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value ?? "").ToList();
        if ((allFlags & X509ChainStatusFlags.NotValidForUsage) != 0 || !ekus.Contains(eku))
        {
            var has = ekus.Count == 0 ? "it has no extended key usage" : "it has " + string.Join(", ", ekus.Select(o => $"{KeyPurpose.Describe(o)} ({o})"));
            return ChainResult.Refused(TrustFailure.WrongKeyUsage,
                $"{describedAs} is not a {KeyPurpose.DescribeRole(eku)} certificate (EKU {KeyPurpose.Describe(eku)} {eku} required; {has}).");
        }
        var keyUsage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is null || (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
            return ChainResult.Refused(TrustFailure.WrongKeyUsage,
                $"{describedAs} does not allow digital signatures (key usage: {keyUsage?.KeyUsages.ToString() ?? "none"}).");

        const X509ChainStatusFlags malformed =
            X509ChainStatusFlags.InvalidBasicConstraints | X509ChainStatusFlags.InvalidExtension
            | X509ChainStatusFlags.HasNotSupportedCriticalExtension | X509ChainStatusFlags.InvalidNameConstraints
            | X509ChainStatusFlags.HasNotSupportedNameConstraint | X509ChainStatusFlags.HasNotDefinedNameConstraint
            | X509ChainStatusFlags.HasNotPermittedNameConstraint | X509ChainStatusFlags.HasExcludedNameConstraint
            | X509ChainStatusFlags.InvalidPolicyConstraints;
        if ((allFlags & malformed) != 0)
            return ChainResult.Refused(TrustFailure.Malformed, $"{describedAs} or its chain is malformed: {Describe(chain)}.");
        if (!built || allFlags != X509ChainStatusFlags.NoError)
            return ChainResult.Refused(TrustFailure.Other, $"{describedAs} failed chain validation: {Describe(chain)}.");
        return null;
    }

    private static ChainResult Untrusted(X509Certificate2 leaf, IReadOnlyCollection<X509Certificate2> anchors, string describedAs)
    {
        var trusted = string.Join("; ", anchors.Select(a => $"'{a.Subject}'"));
        var lookalike = anchors.Any(a => a.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData))
            ? " Its issuer has the same name as a trusted root but a different key: a look-alike root."
            : "";
        return ChainResult.Refused(TrustFailure.UntrustedRoot,
            $"{describedAs} (issued by '{leaf.Issuer}') does not chain to the trusted root {trusted}.{lookalike}");
    }

    private static string Describe(X509Chain chain)
    {
        var statuses = chain.ChainStatus.Select(s => string.IsNullOrWhiteSpace(s.StatusInformation) ? s.Status.ToString() : s.StatusInformation.Trim()).Distinct().ToList();
        return statuses.Count == 0 ? "the chain could not be built" : string.Join("; ", statuses);
    }

    private static string Thumbprint(X509Certificate2 cert) => Domain.DerFingerprint.Of(cert.RawDataMemory.Span);

    private static string SetKey(IReadOnlyCollection<X509Certificate2> certificates) =>
        string.Join(",", certificates.Select(Thumbprint).Order(StringComparer.Ordinal).Distinct());

    private readonly record struct CacheKey(string LeafSha256, string AnchorSet, string IntermediateSet, string Eku);

    private sealed record CachedChain(string AnchorSha256, string Participant, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);
}
