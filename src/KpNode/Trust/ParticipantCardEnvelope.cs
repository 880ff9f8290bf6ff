using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KpNode.Trust;

/// <summary>A participant card that cannot be trusted as it is; each problem says what is wrong and what to do.</summary>
internal sealed class ParticipantCardException(string path, IReadOnlyList<string> problems)
    : Exception($"{path}: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// A participant card in a DSSE JSON envelope, signed by every root it carries (both roots during a rollover): ECDSA
/// P-256 over the PAE bytes, DER-encoded, keyid the lowercase hex SHA-256 of the root's DER. Anyone can check it with
/// openssl: PAE("DSSEv1", type, payload), then <c>openssl dgst -sha256 -verify root-public-key</c>.
/// </summary>
internal static class ParticipantCardEnvelope
{
    // Relaxed escaping keeps "+" in a payload type and accents in an authority's name readable; the card never goes into HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The envelope JSON of <paramref name="card"/>, signed by each root in <paramref name="rootsWithKeys"/> (the card's roots, in its order).</summary>
    public static byte[] Sign(ParticipantCard card, IReadOnlyList<X509Certificate2> rootsWithKeys)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (!card.Roots.Select(r => r.Thumbprint).SequenceEqual(rootsWithKeys.Select(r => r.Thumbprint)))
            throw new ArgumentException("a card is signed by exactly the roots it carries", nameof(rootsWithKeys));
        var payload = card.ToJson();
        var pae = Pae.Encode(ParticipantCard.PayloadType, payload);
        var signatures = new JsonArray();
        foreach (var root in rootsWithKeys)
        {
            using var key = root.GetECDsaPrivateKey()
                ?? throw new ArgumentException($"the root '{root.Subject}' has no ECDSA private key loaded", nameof(rootsWithKeys));
            // DER rather than IEEE P1363, so openssl verifies it as is.
            var sig = key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            signatures.Add(new JsonObject { ["keyid"] = Domain.DerFingerprint.Of(root.RawDataMemory.Span), ["sig"] = Convert.ToBase64String(sig) });
        }

        var envelope = new JsonObject
        {
            ["payloadType"] = ParticipantCard.PayloadType,
            ["payload"] = Convert.ToBase64String(payload),
            ["signatures"] = signatures,
        };
        return JsonSerializer.SerializeToUtf8Bytes(envelope, Indented);
    }

    /// <summary>
    /// The card in <paramref name="envelope"/> once every root it carries has signed it, each a CA of the card's
    /// participant valid at <paramref name="now"/>; otherwise <see cref="ParticipantCardException"/> with every problem.
    /// This proves the card is whole and self-consistent, not whose it is: that is the fingerprint's job.
    /// </summary>
    public static ParticipantCard Open(byte[] envelope, string path, DateTimeOffset now)
    {
        const string AskAgain = "ask the partner for its card again (kpnode partner card) and do not edit it";
        var problems = new List<string>();
        JsonObject? json = null;
        try
        {
            json = JsonNode.Parse(envelope) as JsonObject;
        }
        catch (JsonException)
        {
        }

        if (json?["payloadType"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var payloadType)
            || json["payload"] is not JsonValue payloadValue || !payloadValue.TryGetValue<string>(out var payloadText)
            || json["signatures"] is not JsonArray signatures)
            throw new ParticipantCardException(path, [$"is not a participant card (a DSSE JSON envelope with payloadType, payload and signatures); {AskAgain}"]);
        if (payloadType != ParticipantCard.PayloadType)
            throw new ParticipantCardException(path, [$"is a signed '{Domain.Printable.Of(payloadType, 80)}', not a participant card ({ParticipantCard.PayloadType})"]);
        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(payloadText);
        }
        catch (FormatException)
        {
            throw new ParticipantCardException(path, [$"its payload is not base64: the file was altered or damaged; {AskAgain}"]);
        }

        var card = ParticipantCard.Parse(payload, problems);
        if (card is null)
            throw new ParticipantCardException(path, [.. problems, AskAgain]);

        var pae = Pae.Encode(payloadType, payload);
        var byKeyId = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var signature in signatures)
        {
            if (signature?["keyid"] is JsonValue k && k.TryGetValue<string>(out var keyId)
                && signature["sig"] is JsonValue s && s.TryGetValue<string>(out var sigText) && TryBase64(sigText) is { } sig)
                byKeyId[keyId.ToLowerInvariant()] = sig;
            else
                problems.Add("a signature is not {\"keyid\", \"sig\" (base64)}");
        }

        var rootIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in card.Roots)
        {
            var id = Domain.DerFingerprint.Of(root.RawDataMemory.Span);
            rootIds.Add(id);
            var fingerprint = RootFingerprint.Of(root);
            if (RootProblem(root, card.Participant, now) is { } problem)
                problems.Add($"root {fingerprint}: {problem}");
            else if (!byKeyId.TryGetValue(id, out var sig))
                problems.Add($"root {fingerprint} did not sign the card; a card is signed by every root it carries (during a rollover, the old and the new)");
            else if (!Verifies(root, pae, sig))
                problems.Add($"the signature of root {fingerprint} does not verify: the card was altered after it was signed; {AskAgain}");
        }

        foreach (var stranger in byKeyId.Keys.Where(k => !rootIds.Contains(k)))
            problems.Add($"a signature names key {stranger[..Math.Min(16, stranger.Length)]}…, which is none of the card's roots");

        if (problems.Count > 0)
            throw new ParticipantCardException(path, problems);
        return card;
    }

    private static byte[]? TryBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool Verifies(X509Certificate2 root, byte[] pae, byte[] sig)
    {
        using var key = root.GetECDsaPublicKey();
        return key is not null && key.VerifyData(pae, sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>Why <paramref name="root"/> cannot be a root of <paramref name="participant"/>, or null.</summary>
    private static string? RootProblem(X509Certificate2 root, string participant, DateTimeOffset now)
    {
        if (root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            return "is not a CA certificate (BasicConstraints CA=true missing)";
        if (root.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage && (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0)
            return "may not sign certificates (KeyUsage keyCertSign missing)";
        using (var key = root.GetECDsaPublicKey())
        {
            if (key is not { KeySize: 256 })
                return "does not have an ECDSA P-256 key";
        }

        var named = ParticipantIdentity.FromCertificate(root);
        if (named != participant)
            return named is null ? $"names no participant (URI SAN {ParticipantIdentity.ParticipantUriPrefix}{participant} missing)"
                : $"is the root of participant {named}, but the card is {participant}'s";
        if (now < root.NotBefore.ToUniversalTime() || now > root.NotAfter.ToUniversalTime())
            return $"is not valid now (valid {TrustChain.Format(root.NotBefore)} to {TrustChain.Format(root.NotAfter)})";

        // A self-signed root: its own key checks its signature, with no store but itself.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        return chain.Build(root) && root.SubjectName.RawData.AsSpan().SequenceEqual(root.IssuerName.RawData)
            ? null
            : "is not a self-signed root certificate";
    }
}
