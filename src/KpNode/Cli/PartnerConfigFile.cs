using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Trust;

namespace KpNode.Cli;

/// <summary>
/// Writes a partner's card into a node's files: its root(s) and the card under <c>partners/CODE/</c> beside the
/// config, and its entry in Node:Partners. The rest of the config file is kept as it is (comments aside: JSON has none).
/// The file is replaced only once the new one loads as a node config, so a failed edit leaves the old file.
/// </summary>
internal static class PartnerConfigFile
{
    public const string RootFile = "root.crt";
    public const string CardFile = "card.json";

    // Relaxed escaping keeps the file as people wrote it ("+" and accents stay as they are); it never goes into HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The folder a partner's root and card are kept in, beside the config.</summary>
    public static string FolderOf(NodeConfig config, string participant) =>
        Path.Combine(Path.GetDirectoryName(config.FilePath)!, "partners", participant.ToLowerInvariant());

    /// <summary>The card kept beside a partner's root, if <c>partner add</c> or <c>update</c> wrote one.</summary>
    public static string CardBeside(string rootPath) => Path.Combine(Path.GetDirectoryName(rootPath)!, CardFile);

    /// <summary>Every certificate in a partner's root file (two during a root rollover).</summary>
    public static X509Certificate2Collection Roots(string rootPath)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(rootPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new PkiFileException(rootPath, $"cannot be read as PEM certificates ({e.Message}).");
        }

        if (roots.Count == 0)
            roots.Add(PkiFiles.LoadCertificate(rootPath));
        return roots;
    }

    /// <summary>Saves <paramref name="card"/> (its envelope bytes as received) and writes or updates its Node:Partners entry.</summary>
    public static (string RootPath, NodeConfig Loaded) Save(NodeConfig config, ParticipantCard card, byte[] envelope)
    {
        var folder = FolderOf(config, card.Participant);
        Directory.CreateDirectory(folder);
        var rootPath = Path.Combine(folder, RootFile);
        var cardPath = Path.Combine(folder, CardFile);
        var document = Read(config.FilePath);
        var node = Object(document, NodeOptions.Section, config.FilePath);
        if (node["Partners"] is not JsonArray partners)
        {
            partners = [];
            node["Partners"] = partners;
        }

        var entry = partners.OfType<JsonObject>().FirstOrDefault(p =>
            string.Equals((p["Participant"] as JsonValue)?.GetValue<string>(), card.Participant, StringComparison.OrdinalIgnoreCase));
        if (entry is null)
        {
            entry = [];
            partners.Add(entry);
        }

        entry["Participant"] = card.Participant;
        entry["Address"] = card.PeerEndpoints[0].ToString().TrimEnd('/');
        entry["RootCertificate"] = Path.GetRelativePath(Path.GetDirectoryName(config.FilePath)!, rootPath).Replace('\\', '/');
        // The authority is checked on every certificate only when the card names exactly one; with offices, each
        // office's authority and prefix are checked instead.
        if (card.Authorities.Count == 1 && card.Offices.Count == 0)
            entry["ExportingAuthority"] = card.Authorities[0];
        else
            entry.Remove("ExportingAuthority");
        if (card.Offices.Count > 0)
        {
            entry["Offices"] = new JsonArray([.. card.Offices.Select(o => (JsonNode)new JsonObject
            {
                ["Code"] = o.Code,
                ["ExportingAuthority"] = o.ExportingAuthority,
                ["NumberPrefix"] = o.NumberPrefix,
            })]);
            entry["NumberPrefixes"] = new JsonArray([.. card.Offices.Select(o => (JsonNode)o.NumberPrefix)]);
        }
        else
        {
            entry.Remove("Offices");
        }

        // Written beside their final names and renamed last, so a failure leaves the node's files as they were.
        var pending = new List<(string Temp, string Final)>
        {
            (rootPath + ".new", rootPath), (cardPath + ".new", cardPath), (config.FilePath + ".new", config.FilePath),
        };
        try
        {
            // The roots in the card's order (the node trusts the first for now: the old root during a rollover), then
            // the earlier roots the card no longer names: what the partner signed under them must still verify.
            var earlier = File.Exists(rootPath)
                ? Roots(rootPath).Where(r => !card.Roots.Any(c => c.RawDataMemory.Span.SequenceEqual(r.RawDataMemory.Span))).ToList()
                : [];
            File.WriteAllText(pending[0].Temp, string.Concat(card.Roots.Concat(earlier).Select(r => r.ExportCertificatePem() + "\n")));
            File.WriteAllBytes(pending[1].Temp, envelope);
            File.WriteAllText(pending[2].Temp, document.ToJsonString(Indented) + "\n");
            // Checked as the node will load it, with the root just written under its temporary name.
            Partners.Load(NodeConfig.Load(pending[2].Temp, [new(ConfigKeys.Partner(partners.IndexOf(entry), "RootCertificate"), pending[0].Temp)]));
            foreach (var (temp, final) in pending)
                File.Move(temp, final, overwrite: true);
        }
        finally
        {
            foreach (var (temp, _) in pending)
                File.Delete(temp);
        }

        return (rootPath, NodeConfig.Load(config.FilePath));
    }

    private static JsonNode Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path), new JsonNodeOptions { PropertyNameCaseInsensitive = true },
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                ?? throw new ConfigurationProblemException(path, [$"{path}: the file is empty"]);
        }
        catch (JsonException e)
        {
            throw new ConfigurationProblemException(path, [$"{path}: the file is not valid JSON ({e.Message})"]);
        }
    }

    private static JsonObject Object(JsonNode document, string name, string path) =>
        document[name] as JsonObject ?? throw new ConfigurationProblemException(path, [$"{path}: there is no \"{name}\" section"]);
}
