using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Wire.V1;

namespace KpNode.Evidence;

/// <summary>
/// Builds an evidence bundle from the store: for each certificate its messages (issue, confirmation, void) with their
/// receipts, the issuers' signed authenticity statements about it, the roots and CRLs of the participants involved, and
/// the audit entries that concern it or the period.
/// </summary>
internal sealed class BundleExport(IStoreReader store, string participant, IReadOnlyCollection<X509Certificate2> ourRoots,
    Func<string, IReadOnlyCollection<X509Certificate2>?> partnerRoots)
{
    private const int AuditPage = 1000;

    /// <summary>The bundle for one certificate; null when neither the certificate nor a statement about it is held.</summary>
    public EvidenceBundle? ForCertificate(string number)
    {
        var held = store.FindCertificate(number);
        // An importer may have asked about a certificate it never received: the issuer's answer is still evidence.
        var statements = store.AuthenticityStatementsAbout(number);
        if (held is null && statements.Count == 0)
            return null;
        return Build(held is null ? [] : [held], statements, entry => entry.Subject == number);
    }

    /// <summary>Every certificate issued in the period (date of issue), every authenticity statement signed or received and every audit entry written in it.</summary>
    public EvidenceBundle ForPeriod(ReportingPeriod period) =>
        Build(store.IssuedBetween(period.From, period.Until), store.AuthenticityStatementsBetween(period.From, period.Until),
            entry => period.Contains(entry.At.ToUniversalTime()));

    private EvidenceBundle Build(IReadOnlyList<HeldCertificate> certificates, IReadOnlyList<StoredAuthenticityStatement> statements, Func<AuditEntry, bool> audited)
    {
        var bundle = new EvidenceBundle();
        var participants = new SortedSet<string>(StringComparer.Ordinal) { participant };
        foreach (var held in certificates.OrderBy(c => c.Number, StringComparer.Ordinal))
        {
            participants.Add(held.Partner);
            foreach (var id in new[] { held.MessageId, held.ConfirmationMessageId, held.VoidMessageId }.OfType<string>())
            {
                if (store.FindMessage(id) is { } message)
                    AddMessage(bundle, message);
            }
        }

        foreach (var statement in statements)
        {
            // The statement is the issuer's: its root is the one it chains to.
            participants.Add(statement.Role == AuthenticityRole.Asked ? statement.Partner : participant);
            AddStatement(bundle, statement);
        }

        foreach (var code in participants)
        {
            var roots = code == participant ? ourRoots : partnerRoots(code);
            if (roots is { Count: > 0 })
                bundle.Add($"roots/{code}.crt", Pem(roots.Select(r => r.ExportCertificatePem())), EvidenceBundle.Kinds.Root);
            if (store.FindRevocationList(code) is { } crl)
                bundle.Add($"crls/{code}.crl", Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", crl.Der) + "\n"), EvidenceBundle.Kinds.Crl);
        }

        bundle.Add("audit/entries.json", AuditJson(ReadAudit(audited)), EvidenceBundle.Kinds.Audit);
        bundle.Add("audit/README.txt", Encoding.UTF8.GetBytes(AuditReadme), EvidenceBundle.Kinds.AuditReadme);
        bundle.Add("README.txt", Encoding.UTF8.GetBytes(BundleReadme), EvidenceBundle.Kinds.Readme);
        return bundle;
    }

    private static void AddMessage(EvidenceBundle bundle, PartnerMessage message)
    {
        var envelope = Envelope.Parser.ParseFrom(message.Envelope);
        bundle.Add($"messages/{message.Id}.dsse.json", DsseJson.Write(envelope), EvidenceBundle.Kinds.Envelope);
        if (PayloadJson.Decode(envelope.PayloadType, envelope.Payload.Span) is { } payload)
            bundle.Add($"messages/{message.Id}.payload.json", PayloadJson.Write(payload), EvidenceBundle.Kinds.Payload);
        if (message.ReceiptEnvelope is { Length: > 0 } receiptBytes)
        {
            var receipt = Envelope.Parser.ParseFrom(receiptBytes);
            bundle.Add($"messages/{message.Id}.receipt.dsse.json", DsseJson.Write(receipt), EvidenceBundle.Kinds.ReceiptEnvelope);
            if (PayloadJson.Decode(receipt.PayloadType, receipt.Payload.Span) is { } decoded)
                bundle.Add($"messages/{message.Id}.receipt.payload.json", PayloadJson.Write(decoded), EvidenceBundle.Kinds.ReceiptPayload);
        }
    }

    private static void AddStatement(EvidenceBundle bundle, StoredAuthenticityStatement statement)
    {
        var envelope = Envelope.Parser.ParseFrom(statement.Envelope);
        bundle.Add($"authenticity/{statement.Id}.dsse.json", DsseJson.Write(envelope), EvidenceBundle.Kinds.AuthenticityEnvelope);
        if (PayloadJson.Decode(envelope.PayloadType, envelope.Payload.Span) is { } payload)
            bundle.Add($"authenticity/{statement.Id}.payload.json", PayloadJson.Write(payload), EvidenceBundle.Kinds.AuthenticityPayload);
    }

    private List<AuditEntry> ReadAudit(Func<AuditEntry, bool> audited)
    {
        var entries = new List<AuditEntry>();
        for (long from = 1; ;)
        {
            var page = store.ReadAudit(from, AuditPage);
            entries.AddRange(page.Where(audited));
            if (page.Count < AuditPage)
                return entries;
            from = page[^1].Id + 1;
        }
    }

    private static byte[] Pem(IEnumerable<string> blocks) => Encoding.ASCII.GetBytes(string.Join("\n", blocks) + "\n");

    /// <summary>The entries with every field their hash covers, <c>atTicks</c> being the exact value hashed.</summary>
    internal static byte[] AuditJson(IEnumerable<AuditEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("encoding", "kpnode.audit.v1");
            json.WriteStartArray("entries");
            foreach (var entry in entries)
            {
                json.WriteStartObject();
                json.WriteNumber("id", entry.Id);
                json.WriteString("at", entry.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteNumber("atTicks", entry.At.ToUniversalTime().Ticks);
                json.WriteString("actor", entry.Actor);
                json.WriteString("action", entry.Action);
                json.WriteString("subject", entry.Subject);
                json.WriteString("detail", entry.Detail);
                json.WriteString("previousHash", entry.PreviousHash);
                json.WriteString("hash", entry.Hash);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    internal const string AuditReadme = """
        Audit log entries (entries.json), encoding kpnode.audit.v1.

        hash = lowercase hex SHA-256 over the concatenation of these fields, in order, each
        written as a 4-byte big-endian length followed by its bytes:
          1. the ASCII tag "kpnode.audit.v1"
          2. id, as an 8-byte big-endian signed integer
          3. atTicks, as an 8-byte big-endian signed integer (UTC, 100 ns units since 0001-01-01T00:00:00Z)
          4. actor, UTF-8
          5. action, UTF-8
          6. subject, UTF-8
          7. detail, UTF-8
          8. previousHash, the UTF-8 of the previous entry's lowercase hex hash
             (64 zeros for entry 1)
        Each entry's previousHash equals the hash of the entry with id - 1. A bundle holds the
        entries of its subject or period only, so consecutive ids link and the first links to
        an entry outside the bundle.

        """;

    internal const string BundleReadme = """
        KP evidence bundle (kpnode-evidence-v1). Nothing here needs KpNode to be read.

        manifest.json  every other file with its SHA-256 (lowercase hex) and what it is.
        messages/ID.dsse.json          a signed message as a DSSE JSON envelope:
            {"payloadType", "payload" (std base64), "signatures": [{"keyid", "sig", "x5c"}]}
            sig = ECDSA P-256 / SHA-256, DER, over PAE(payloadType, payload) =
                  "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload
            keyid = SHA-256 (hex) of the signer certificate's DER; x5c = std base64 DER
            certificates, signer first, the root left out (as JWS x5c).
        messages/ID.payload.json       the payload decoded (protobuf JSON of kp.v1 messages).
        messages/ID.receipt.dsse.json  the receiver's signed receipt: payloadSha256 is the
            SHA-256 of the acknowledged envelope's payload bytes; receivedAt is when it arrived.
        authenticity/ID.dsse.json      an issuer's signed answer to "is this certificate genuine?"
            (kp.v1.AuthenticityStatement, signed at its answeredAt), beside ID.payload.json.
        roots/XX.crt   participant roots (PEM). Hints only: trust roots you obtained yourself.
        crls/XX.crl    revocation lists (PEM), each signed by its participant's root.
        audit/         audit log entries and how their hashes are computed.

        Check a signer chain:  openssl verify -CAfile ROOT.crt -untrusted CHAIN.pem LEAF.pem
        (with -crl_check -CRLfile crls/XX.crl to apply revocation).

        """;
}
