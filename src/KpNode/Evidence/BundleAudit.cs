using System.Text.Json;
using KpNode.Storage;

namespace KpNode.Evidence;

/// <summary>A bundle's audit/entries.json checked offline: every entry hashes to its hash and links to the one before.</summary>
internal static class BundleAudit
{
    public static void Check(string path, List<string> passed)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new BundleCheckException("audit", $"not JSON ({e.Message})");
        }

        using (document)
        {
            try
            {
                CheckChain(document.RootElement);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
            {
                // A renamed field or a value of the wrong type is an altered file, not a crash of the verifier.
                throw new BundleCheckException("audit", $"not the audit entries a bundle carries ({e.Message})");
            }
        }

        passed.Add("audit");
    }

    private static void CheckChain(JsonElement root)
    {
        AuditEntry? previous = null;
        foreach (var item in root.GetProperty("entries").EnumerateArray())
        {
            var entry = new AuditEntry
            {
                Id = item.GetProperty("id").GetInt64(),
                At = new DateTime(item.GetProperty("atTicks").GetInt64(), DateTimeKind.Utc),
                Actor = item.GetProperty("actor").GetString() ?? "",
                Action = item.GetProperty("action").GetString() ?? "",
                Subject = item.GetProperty("subject").GetString() ?? "",
                Detail = item.GetProperty("detail").GetString() ?? "",
                PreviousHash = item.GetProperty("previousHash").GetString() ?? "",
                Hash = item.GetProperty("hash").GetString() ?? "",
            };
            if (entry.ComputeHash() != entry.Hash)
                throw new BundleCheckException("audit", $"entry {entry.Id}: its fields do not hash to its hash {entry.Hash}");
            if (previous is not null && previous.Id + 1 == entry.Id && previous.Hash != entry.PreviousHash)
                throw new BundleCheckException("audit", $"entry {entry.Id} does not link to entry {previous.Id}");
            previous = entry;
        }
    }
}
