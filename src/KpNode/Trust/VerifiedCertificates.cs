using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>
/// Certificates from envelopes' x5c that already verified once, parsed, by the SHA-256 of their DER, with
/// a small pool of their public keys: a partner signs every envelope with the same certificate, so parsing
/// it (and leaving the parsed copy to the finalizer) once per envelope was most of the verifier's garbage.
/// The chain and the signature are still checked for every envelope; only the parsing is shared.
/// </summary>
internal sealed class VerifiedCertificates
{
    // Only certificates of verified envelopes get in, so the set is the partners' signing certificates; reaching
    // the limit means something unusual, and starting over is cheaper than tracking recency.
    private const int Limit = 1_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool TryGet(string sha256Hex, out Entry entry) => _entries.TryGetValue(sha256Hex, out entry!);

    /// <summary>Keeps <paramref name="certificate"/>; it is shared from now on and must not be disposed by the caller.</summary>
    public void Add(string sha256Hex, X509Certificate2 certificate)
    {
        if (_entries.Count >= Limit)
            _entries.Clear();
        _entries.TryAdd(sha256Hex, new Entry(certificate));
    }

    /// <summary>A parsed certificate and its public keys, shared by concurrent verifications.</summary>
    internal sealed class Entry(X509Certificate2 certificate)
    {
        // ECDsa instances are not documented as thread-safe, and verifications run in parallel: one key per verification at a time.
        private readonly ConcurrentBag<ECDsa> _keys = [];

        public X509Certificate2 Certificate { get; } = certificate;

        public ECDsa? RentKey() => _keys.TryTake(out var key) ? key : Certificate.GetECDsaPublicKey();

        public void Return(ECDsa key)
        {
            if (_keys.Count < 2 * Environment.ProcessorCount)
                _keys.Add(key);
            else
                key.Dispose();
        }
    }
}
