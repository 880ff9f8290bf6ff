using System.Security.Cryptography;
using System.Text.Json;

namespace KpNode.Evidence;

/// <summary>One file of an evidence bundle: its path inside the bundle, its bytes, and what it is.</summary>
internal sealed record BundleFile(string Path, byte[] Content, string Kind);

/// <summary>
/// An evidence bundle: envelopes as DSSE JSON with their decoded payloads, roots, CRLs, audit entries, and
/// manifest.json listing every other file with its SHA-256 and what it is.
/// </summary>
internal sealed class EvidenceBundle
{
    public const string ManifestPath = "manifest.json";
    public const string Format = "kpnode-evidence-v1";

    private readonly List<BundleFile> _files = [];

    public IReadOnlyList<BundleFile> Files => _files;

    public void Add(string path, byte[] content, string kind) => _files.Add(new BundleFile(path, content, kind));

    /// <summary>
    /// The manifest; every byte of it is checkable: its descriptions are derived from kind and path and its
    /// layout is canonical, so a verifier rebuilds it and compares bytes rather than trusting it.
    /// </summary>
    public static byte[] Manifest(IEnumerable<(string Path, string Sha256, string Kind)> files)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteString("hashAlgorithm", "SHA-256 of the file's bytes, lowercase hex");
            json.WriteStartArray("files");
            foreach (var (path, sha256, kind) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("path", path);
                json.WriteString("sha256", sha256);
                json.WriteString("kind", kind);
                json.WriteString("description", Describe(kind, path));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    public byte[] Manifest() => Manifest(_files.Select(f => (f.Path, Sha256(f.Content), f.Kind)));

    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Writes every file and the manifest under <paramref name="directory"/>, which must be empty or absent.</summary>
    public void WriteTo(string directory)
    {
        foreach (var file in _files)
        {
            var target = Path.Combine(directory, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, file.Content);
        }

        File.WriteAllBytes(Path.Combine(directory, ManifestPath), Manifest());
    }

    public static string Describe(string kind, string path)
    {
        var name = Path.GetFileName(path);
        var id = name.Split('.')[0];
        return kind switch
        {
            Kinds.Envelope => $"signed message {id} as a DSSE JSON envelope (signatures over PAE, signer chain in x5c)",
            Kinds.Payload => $"the payload of message {id}, decoded to JSON (protobuf JSON mapping), for reading",
            Kinds.ReceiptEnvelope => $"the signed receipt for message {id} as a DSSE JSON envelope",
            Kinds.ReceiptPayload => $"the payload of the receipt for message {id}, decoded to JSON, for reading",
            Kinds.AuthenticityEnvelope => $"the issuer's signed authenticity statement {id} as a DSSE JSON envelope",
            Kinds.AuthenticityPayload => $"the payload of authenticity statement {id}, decoded to JSON, for reading",
            Kinds.Root => $"root certificate(s) of participant {id} (PEM): a hint; trust only roots obtained independently",
            Kinds.Crl => $"revocation list of participant {id} (PEM), signed by that participant's root",
            Kinds.Audit => "audit log entries with every field their hash covers; see audit/README.txt",
            Kinds.AuditReadme => "how an audit entry's hash is computed",
            Kinds.Readme => "what this bundle holds and how to check it without KpNode",
            _ => kind,
        };
    }

    /// <summary>The kinds of file a bundle holds, as the manifest names them.</summary>
    public static class Kinds
    {
        public const string Envelope = "envelope";
        public const string Payload = "payload";
        public const string ReceiptEnvelope = "receipt-envelope";
        public const string ReceiptPayload = "receipt-payload";
        public const string AuthenticityEnvelope = "authenticity-envelope";
        public const string AuthenticityPayload = "authenticity-payload";
        public const string Root = "root";
        public const string Crl = "crl";
        public const string Audit = "audit-entries";
        public const string AuditReadme = "audit-readme";
        public const string Readme = "readme";

        public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        {
            Envelope, Payload, ReceiptEnvelope, ReceiptPayload, AuthenticityEnvelope, AuthenticityPayload, Root, Crl, Audit, AuditReadme, Readme,
        };
    }
}
