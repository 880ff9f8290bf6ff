using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Evidence;

/// <summary>
/// Checks an evidence bundle (or one DSSE JSON file) offline against roots the user names: manifest hashes, every
/// signature over PAE, chains, validity and revocation at signing time, receipts and references, the audit chain.
/// Roots and CRLs inside the bundle are never trusted by themselves.
/// </summary>
internal sealed class BundleVerifier(IReadOnlyCollection<X509Certificate2> roots)
{
    private const string EnvelopeSuffix = ".dsse.json";
    private const string ReceiptSuffix = ".receipt.dsse.json";

    private readonly EnvelopeVerifier _verifier = new(new TrustChain());
    private readonly List<RevocationList> _crls = [];

    /// <summary>Verdicts on one DSSE JSON file, checked at its own signing time (no receipt or CRL beside it).</summary>
    public IReadOnlyList<BundleVerdict> VerifyFile(string path)
    {
        var passed = new List<string>();
        try
        {
            var envelope = ReadEnvelope(File.ReadAllBytes(path));
            var payload = Decode(envelope);
            var at = PayloadJson.SignedAt(payload) ?? throw new BundleCheckException("structure", "the payload carries no signing time");
            Verify(envelope, payload, at, passed);
            return [BundleVerdict.Ok(Path.GetFileName(path), passed)];
        }
        catch (BundleCheckException e)
        {
            return [BundleVerdict.Fail(Path.GetFileName(path), passed, e.Check, e.Reason)];
        }
    }

    public IReadOnlyList<BundleVerdict> VerifyBundle(string directory)
    {
        var verdicts = new List<BundleVerdict>();
        verdicts.AddRange(CheckManifest(directory));
        foreach (var crl in Files(directory, "crls", ".crl"))
            verdicts.Add(Item(Relative(directory, crl), passed => CheckCrl(crl, passed)));

        var envelopes = Files(directory, "messages", EnvelopeSuffix).Where(f => !f.EndsWith(ReceiptSuffix, StringComparison.Ordinal)).ToList();
        var issuedNumbers = new HashSet<string>(StringComparer.Ordinal);
        var followUps = new List<(string Item, string Number)>();
        foreach (var file in envelopes)
        {
            var item = Relative(directory, file);
            verdicts.Add(Item(item, passed => CheckMessage(file, passed, issuedNumbers, followUps, item)));
            var receipt = file[..^EnvelopeSuffix.Length] + ReceiptSuffix;
            if (File.Exists(receipt))
                verdicts.Add(Item(Relative(directory, receipt), passed => CheckReceipt(file, receipt, passed)));
        }

        // Confirmations and voids name a certificate; the bundle must hold its signed issue.
        foreach (var (item, number) in followUps)
        {
            var index = verdicts.FindIndex(v => v.Item == item);
            if (verdicts[index].Verified && !issuedNumbers.Contains(number))
                verdicts[index] = BundleVerdict.Fail(item, verdicts[index].Passed, "reference",
                    $"names certificate {number}, whose signed issue is not in the bundle or does not verify");
        }

        verdicts.AddRange(CheckAuthenticityStatements(directory, verdicts));
        var audit = Path.Combine(directory, "audit", "entries.json");
        if (File.Exists(audit))
            verdicts.Add(Item("audit/entries.json", passed => BundleAudit.Check(audit, passed)));
        return verdicts;
    }

    private static BundleVerdict Item(string item, Action<List<string>> check)
    {
        var passed = new List<string>();
        try
        {
            check(passed);
            return BundleVerdict.Ok(item, passed);
        }
        catch (BundleCheckException e)
        {
            return BundleVerdict.Fail(item, passed, e.Check, e.Reason);
        }
    }

    private static IEnumerable<BundleVerdict> CheckManifest(string directory)
    {
        var manifestPath = Path.Combine(directory, EvidenceBundle.ManifestPath);
        if (!File.Exists(manifestPath))
        {
            yield return BundleVerdict.Fail(EvidenceBundle.ManifestPath, [], "manifest", "manifest.json is missing: the bundle's files cannot be checked for change");
            yield break;
        }

        var bytes = File.ReadAllBytes(manifestPath);
        List<(string Path, string Sha256, string Kind)> entries;
        string? problem = null;
        try
        {
            entries = ReadManifest(bytes);
            if (!EvidenceBundle.Manifest(entries).AsSpan().SequenceEqual(bytes))
                problem = "manifest.json differs from the canonical manifest of its own entries (a description, the format or the layout was altered)";
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            entries = [];
            problem = $"manifest.json cannot be read ({e.Message})";
        }

        yield return problem is null
            ? BundleVerdict.Ok(EvidenceBundle.ManifestPath, ["manifest"])
            : BundleVerdict.Fail(EvidenceBundle.ManifestPath, [], "manifest", problem);

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, sha256, kind) in entries)
        {
            listed.Add(path);
            var full = Path.GetFullPath(Path.Combine(directory, path));
            if (!full.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !EvidenceBundle.Kinds.All.Contains(kind))
                yield return BundleVerdict.Fail(path, [], "manifest", $"the manifest lists '{path}' of kind '{kind}', not a file of a bundle");
            else if (!File.Exists(full))
                yield return BundleVerdict.Fail(path, [], "manifest", "listed in the manifest but missing from the bundle");
            else if (EvidenceBundle.Sha256(File.ReadAllBytes(full)) is var actual && actual != sha256)
                yield return BundleVerdict.Fail(path, [], "manifest", $"SHA-256 is {actual}, the manifest says {sha256}: the file was altered");
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var path = Relative(directory, file);
            if (path != EvidenceBundle.ManifestPath && !listed.Contains(path))
                yield return BundleVerdict.Fail(path, [], "manifest", "not listed in the manifest: the bundle holds a file its exporter did not");
        }
    }

    private static List<(string Path, string Sha256, string Kind)> ReadManifest(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        if (root.GetProperty("format").GetString() != EvidenceBundle.Format)
            throw new FormatException($"the format is not {EvidenceBundle.Format}");
        return [.. root.GetProperty("files").EnumerateArray().Select(f =>
            (f.GetProperty("path").GetString() ?? "", f.GetProperty("sha256").GetString() ?? "", f.GetProperty("kind").GetString() ?? ""))];
    }

    private void CheckCrl(string file, List<string> passed)
    {
        RevocationList list;
        try
        {
            list = RevocationList.Parse(PemDer(File.ReadAllText(file), "X509 CRL"));
        }
        catch (Exception e) when (e is RevocationListException or FormatException or CryptographicException or ArgumentException)
        {
            throw new BundleCheckException("crl", $"not a readable X.509 CRL ({e.Message})");
        }

        passed.Add("crl");
        var signedBy = roots.FirstOrDefault(list.IsSignedBy)
            ?? throw new BundleCheckException("crl signature", $"the CRL issued by '{list.Issuer.Name}' is not signed by any root named with --root");
        // Another participant's genuine list filed under this name would leave this participant's revocations out unnoticed.
        var code = Path.GetFileNameWithoutExtension(file);
        if (ParticipantIdentity.FromCertificate(signedBy) is { } owner && owner != code)
            throw new BundleCheckException("crl signature", $"{code}.crl holds {owner}'s revocation list (signed by {owner}'s root), not {code}'s");
        passed.Add("crl signature");
        _crls.Add(list);
    }

    private void CheckMessage(string file, List<string> passed, HashSet<string> issuedNumbers, List<(string, string)> followUps, string item)
    {
        var envelope = ReadEnvelope(File.ReadAllBytes(file));
        var payload = Decode(envelope);
        var id = Path.GetFileName(file)[..^EnvelopeSuffix.Length];
        var header = payload switch
        {
            CertificateIssued m => m.Header,
            CertificateVoided m => m.Header,
            ImportConfirmation m => m.Header,
            _ => null,
        };
        if (header?.MessageId != id)
            throw new BundleCheckException("structure", $"the payload's message id is '{header?.MessageId}', not the file's '{id}'");

        // Checked at the time the receiver's receipt says it arrived, when there is one: that time is not the signer's own word.
        var at = PayloadJson.SignedAt(payload) ?? throw new BundleCheckException("structure", "the payload carries no created_at");
        var receiptFile = file[..^EnvelopeSuffix.Length] + ReceiptSuffix;
        if (File.Exists(receiptFile))
        {
            try
            {
                var receipt = Decode(ReadEnvelope(File.ReadAllBytes(receiptFile)));
                at = PayloadJson.SignedAt(receipt) ?? at;
            }
            catch (BundleCheckException)
            {
                // the receipt's own verdict reports it
            }
        }

        Verify(envelope, payload, at, passed);
        CheckPayloadJson(file[..^EnvelopeSuffix.Length] + ".payload.json", payload, passed);
        switch (payload)
        {
            case CertificateIssued m:
                issuedNumbers.Add(m.Certificate?.Number ?? "");
                break;
            case CertificateVoided m:
                followUps.Add((item, m.CertificateNumber));
                break;
            case ImportConfirmation m:
                followUps.Add((item, m.CertificateNumber));
                break;
        }
    }

    private void CheckReceipt(string messageFile, string receiptFile, List<string> passed)
    {
        var envelope = ReadEnvelope(File.ReadAllBytes(receiptFile));
        if (Decode(envelope) is not Receipt receipt)
            throw new BundleCheckException("structure", "the envelope is not a receipt");
        var at = PayloadJson.SignedAt(receipt) ?? throw new BundleCheckException("structure", "the receipt carries no received_at");
        Verify(envelope, receipt, at, passed);
        CheckPayloadJson(receiptFile[..^EnvelopeSuffix.Length] + ".payload.json", receipt, passed);
        var id = Path.GetFileName(messageFile)[..^EnvelopeSuffix.Length];
        if (receipt.MessageId != id)
            throw new BundleCheckException("receipt", $"acknowledges message '{receipt.MessageId}', not '{id}'");
        Envelope acknowledged;
        try
        {
            acknowledged = ReadEnvelope(File.ReadAllBytes(messageFile));
        }
        catch (BundleCheckException e)
        {
            throw new BundleCheckException("receipt", $"the message it acknowledges cannot be read ({e.Reason})");
        }

        if (!SHA256.HashData(acknowledged.Payload.Span).AsSpan().SequenceEqual(receipt.PayloadSha256.Span))
            throw new BundleCheckException("receipt", $"payload_sha256 {Convert.ToHexStringLower(receipt.PayloadSha256.Span)} is not the SHA-256 of the payload of {Path.GetFileName(messageFile)}");
        passed.Add("receipt");
    }

    // Authenticity statements (authenticity/ID.dsse.json): each is its signer's own word, checked at the time it says it
    // answered. When the bundle holds the verified signed issue of the certificate a statement is about, a verdict on it
    // must be signed by that certificate's issuer; another participant may only say it knows no such certificate.
    private List<BundleVerdict> CheckAuthenticityStatements(string directory, IReadOnlyList<BundleVerdict> messageVerdicts)
    {
        var issuers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var verdict in messageVerdicts.Where(v => v.Verified && v.Item.StartsWith("messages/", StringComparison.Ordinal)
            && v.Item.EndsWith(EnvelopeSuffix, StringComparison.Ordinal) && !v.Item.EndsWith(ReceiptSuffix, StringComparison.Ordinal)))
        {
            if (Decode(ReadEnvelope(File.ReadAllBytes(Path.Combine(directory, verdict.Item)))) is CertificateIssued { Certificate: { } certificate } issued)
                issuers[certificate.Number] = issued.Header?.Sender ?? "";
        }

        return [.. Files(directory, "authenticity", EnvelopeSuffix).Select(file =>
            Item(Relative(directory, file), passed => CheckAuthenticityStatement(file, issuers, passed)))];
    }

    private void CheckAuthenticityStatement(string file, IReadOnlyDictionary<string, string> issuers, List<string> passed)
    {
        var envelope = ReadEnvelope(File.ReadAllBytes(file));
        if (Decode(envelope) is not AuthenticityStatement statement)
            throw new BundleCheckException("structure", $"the envelope is a {envelope.PayloadType}, not an authenticity statement");
        var at = PayloadJson.SignedAt(statement) ?? throw new BundleCheckException("structure", "the statement carries no answered_at");
        Verify(envelope, statement, at, passed);
        CheckPayloadJson(file[..^EnvelopeSuffix.Length] + ".payload.json", statement, passed);
        if (issuers.TryGetValue(statement.CertificateNumber, out var issuer))
        {
            if (issuer == statement.Issuer)
                passed.Add("reference");
            else if (statement.Verdict != AuthenticityVerdict.Unknown)
                throw new BundleCheckException("reference",
                    $"is {statement.Issuer}'s verdict {statement.Verdict} on certificate {statement.CertificateNumber}, which {issuer} issued, not {statement.Issuer}");
        }
    }

    private void Verify(Envelope envelope, IMessage payload, DateTimeOffset at, List<string> passed)
    {
        VerifiedEnvelope verified;
        try
        {
            verified = _verifier.Verify(envelope, roots, at);
        }
        catch (EnvelopeVerificationException e)
        {
            throw new BundleCheckException(e.Check switch
            {
                VerificationCheck.KeyUsage => "key usage",
                var check => check.ToString().ToLowerInvariant(),
            }, e.Reason);
        }

        passed.AddRange(["signature", "chain", "validity"]);
        if (PayloadJson.Sender(payload) is { Length: > 0 } sender && sender != verified.SignerParticipant)
            throw new BundleCheckException("participant", $"signed by {verified.SignerParticipant}'s key, but the payload says it comes from {sender}");
        // An office's certificate is signed by that office's own key, so the evidence shows which authority issued it.
        if (payload is CertificateIssued { Certificate: { } issued } && issued.IssuingOffice != (ParticipantIdentity.OfficeFromCertificate(verified.SignerCertificate) ?? ""))
            throw new BundleCheckException("participant",
                $"names issuing office '{issued.IssuingOffice}', but it was signed by the key of {ParticipantIdentity.OfficeFromCertificate(verified.SignerCertificate) ?? verified.SignerParticipant + " as a whole"}");
        if (payload is CertificateIssued { Certificate.IssuingOffice.Length: > 0 })
            passed.Add("office");
        foreach (var signature in envelope.Signatures)
        {
            using var signer = X509CertificateLoader.LoadCertificate(signature.X5C[0].Span);
            foreach (var list in _crls.Where(l => l.Issuer.RawData.AsSpan().SequenceEqual(signer.IssuerName.RawData)))
            {
                if (list.Find(signer.SerialNumber) is { } entry && entry.EffectiveAt <= at)
                    throw new BundleCheckException("revocation",
                        $"the signer '{signer.Subject}' (serial {signer.SerialNumber}) was revoked from {entry.EffectiveAt:u} ({entry.ReasonName}), before the signing time {at:u}");
            }
        }

        passed.Add("revocation");
    }

    private static void CheckPayloadJson(string path, IMessage payload, List<string> passed)
    {
        if (!File.Exists(path))
            return;
        if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(PayloadJson.Write(payload)))
            throw new BundleCheckException("payload json", $"{Path.GetFileName(path)} is not the decoding of the signed payload");
        passed.Add("payload json");
    }

    private static Envelope ReadEnvelope(byte[] bytes)
    {
        try
        {
            return DsseJson.Read(bytes);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new BundleCheckException("structure", $"not a DSSE JSON envelope: {e.Message}");
        }
    }

    private static IMessage Decode(Envelope envelope)
    {
        try
        {
            return PayloadJson.Decode(envelope.PayloadType, envelope.Payload.Span)
                ?? throw new BundleCheckException("structure", $"payload type '{envelope.PayloadType}' is not one a bundle carries");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new BundleCheckException("structure", $"the payload is not a {envelope.PayloadType} message ({e.Message})");
        }
    }

    private static byte[] PemDer(string text, string label)
    {
        var fields = PemEncoding.Find(text);
        if (text[fields.Label] != label)
            throw new FormatException($"the PEM block is not '{label}'");
        return Convert.FromBase64String(text[fields.Base64Data]);
    }

    private static IEnumerable<string> Files(string directory, string folder, string suffix)
    {
        var path = Path.Combine(directory, folder);
        return Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            : [];
    }

    private static string Relative(string directory, string file) => Path.GetRelativePath(directory, file).Replace('\\', '/');
}
