using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>A certificate a participant's root revoked, as it applies to one use of it: which list said so.</summary>
internal sealed record Revocation(string Participant, string Serial, DateTimeOffset EffectiveAt, string Reason, long ListNumber)
{
    /// <summary>For refusals and records: "ZA's certificate 4C96… revoked by ZA's root effective 2026-12-03T10:00:00Z (keyCompromise, CRL 2)".</summary>
    public string Describe() =>
        $"{Participant}'s certificate {Serial} is revoked by {Participant}'s root effective {TrustChain.Format(EffectiveAt)} ({Reason}, CRL {ListNumber})";
}

/// <summary>
/// The revocation list held for each participant (partners' from their notices, ours as published): which certificates
/// no longer speak for their participant, and from when. In memory; the store keeps the lists. Share one instance.
/// </summary>
internal sealed class RevokedKeys
{
    private readonly ConcurrentDictionary<string, RevocationList> _lists = new(StringComparer.Ordinal);

    /// <summary>The list held for <paramref name="participant"/>, or null.</summary>
    public RevocationList? ListOf(string participant) => _lists.GetValueOrDefault(participant);

    /// <summary>Holds <paramref name="list"/> for <paramref name="participant"/> unless one with the same or a higher number is held.</summary>
    public void Hold(string participant, RevocationList list)
    {
        if (_lists.AddOrUpdate(participant, list, (_, held) => list.Number > held.Number ? list : held) == list)
        {
            Interlocked.Increment(ref _version);
            Held?.Invoke(participant);
        }
    }

    /// <summary>Raised with the participant whose newer list is now held: connections checked against the older one must be checked again.</summary>
    public event Action<string>? Held;

    /// <summary>Changes whenever a newer list is held: what was judged against the lists before may need judging again.</summary>
    public long Version => Interlocked.Read(ref _version);

    private long _version;

    /// <summary>
    /// The revocation of <paramref name="certificate"/> (issued by <paramref name="participant"/>'s root) in effect at
    /// <paramref name="at"/>, or null: a certificate revoked later still proves what it signed before.
    /// </summary>
    public Revocation? At(string participant, X509Certificate2 certificate, DateTimeOffset at) =>
        Entry(participant, certificate) is { } r && at >= r.EffectiveAt ? r : null;

    /// <summary>The revocation of <paramref name="certificate"/> whatever its effective time, or null.</summary>
    public Revocation? Entry(string participant, X509Certificate2 certificate)
    {
        if (ListOf(participant) is not { } list || !list.Issuer.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
            return null;
        return list.Find(certificate.SerialNumber) is { } entry
            ? new Revocation(participant, entry.Serial, entry.EffectiveAt, entry.ReasonName, (long)list.Number)
            : null;
    }
}
