using System.Globalization;
using KpNode.Wire.V1;

namespace KpNode.Bench.Common;

/// <summary>One trading partner and its share of the node's certificates.</summary>
internal sealed record TradePartner(string Code, string Name, double Weight);

/// <summary>
/// A realistic partner mix and realistic certificate drafts, from the KP participants' trade shares
/// (shared/data/kp-participants.csv): a partner's weight is its export plus import share, the EU trading
/// through its Union authority in Antwerp (BE), the node's own code left out.
/// </summary>
internal sealed class TradeMix
{
    // Producers name themselves as origin and ship mostly unsorted goods; trading hubs ship mixed origin.
    private static readonly HashSet<string> Producers = ["AO", "AU", "BW", "CA", "CD", "CF", "GN", "LS", "NA", "RU", "SL", "TZ", "ZA", "ZW", "GH", "LR", "CG", "CI"];

    private static readonly Dictionary<string, (string Name, string Address, string City)> Traders = new()
    {
        ["AE"] = ("Gulf Rough Traders DMCC", "Almas Tower, Jumeirah Lakes Towers", "Dubai"),
        ["BE"] = ("Schelde Diamond Trading NV", "Hoveniersstraat 30, 2018", "Antwerpen"),
        ["IN"] = ("Bharat Gem Imports Pvt Ltd", "Bharat Diamond Bourse, Bandra-Kurla Complex", "Mumbai"),
        ["BW"] = ("Okavango Rough Sales (Pty) Ltd", "Plot 63, Fairgrounds Office Park", "Gaborone"),
        ["RU"] = ("Yakutsk Rough Export JSC", "Ordzhonikidze Street 8", "Mirny"),
        ["CA"] = ("Northern Lights Diamonds Inc.", "5102 50th Avenue", "Yellowknife"),
        ["CD"] = ("Kasai Minerals SARL", "Avenue Lumumba 14", "Mbuji-Mayi"),
        ["ZA"] = ("Kgalagadi Rough Diamonds (Pty) Ltd", "12 Diamond Road, 8301", "Kimberley"),
    };

    private readonly TradePartner[] _partners;
    private readonly double[] _cumulative;

    private TradeMix(string node, TradePartner[] partners, string source)
    {
        Node = node;
        _partners = partners;
        Source = source;
        var total = partners.Sum(p => p.Weight);
        var running = 0.0;
        _cumulative = partners.Select(p => running += p.Weight / total).ToArray();
    }

    public string Node { get; }

    public string Source { get; }

    public IReadOnlyList<TradePartner> Partners => _partners;

    /// <summary>The mix of <paramref name="node"/>'s partners; reads the CSV when it can be found, else the same figures built in.</summary>
    public static TradeMix For(string node, string? csvPath = null)
    {
        var path = csvPath ?? FindCsv();
        var rows = path is null ? BuiltIn() : ReadCsv(path);
        var partners = rows
            .Select(r => r with { Code = r.Code == "EU" ? "BE" : r.Code })
            .Where(r => r.Code != node && r.Weight > 0)
            .GroupBy(r => r.Code).Select(g => new TradePartner(g.Key, g.First().Name, g.Sum(r => r.Weight)))
            .OrderByDescending(p => p.Weight).ThenBy(p => p.Code, StringComparer.Ordinal)
            .ToArray();
        return new TradeMix(node, partners, path ?? "built-in copy of kp-participants.csv shares");
    }

    public TradePartner Pick(Random random)
    {
        var x = random.NextDouble();
        var i = Array.BinarySearch(_cumulative, x);
        return _partners[Math.Min(i < 0 ? ~i : i, _partners.Length - 1)];
    }

    private static int _seals;

    /// <summary>A valid draft from <paramref name="from"/> to <paramref name="to"/>, the number left to the issuing node.</summary>
    public static Certificate Draft(Random random, string from, string to)
    {
        var producer = Producers.Contains(from);
        var draft = new Certificate
        {
            ImportingParticipant = to,
            Exporter = PartyOf(from),
            Importer = PartyOf(to),
            Parcels = random.Next(1, 25),
            // One seal closes one shipment: a node refuses a seal still on a valid certificate of its own.
            SealNumber = $"{from}-SEAL-{Interlocked.Increment(ref _seals).ToString("D6", CultureInfo.InvariantCulture)}",
        };
        if (producer)
        {
            draft.OriginCountries.Add(from);
        }
        else
        {
            draft.MixedOrigin = true;
            draft.ProvenanceCountry = from;
        }

        // Producers ship mostly unsorted goods (7102.10); hubs ship sorted gem (7102.31) and industrial (7102.21).
        (string Code, long CentsPerCarat)[] lines = producer && random.NextDouble() < 0.7
            ? [("7102.10", random.Next(6_000, 25_000))]
            : random.NextDouble() < 0.5
                ? [("7102.31", random.Next(15_000, 60_000)), ("7102.21", random.Next(500, 3_000))]
                : [("7102.31", random.Next(15_000, 60_000))];
        long carats = 0, cents = 0;
        foreach (var (code, perCarat) in lines)
        {
            var hundredths = (long)random.Next(1_000, 2_500_000);
            var value = hundredths * perCarat / 100;
            draft.HsLines.Add(new HsLine { HsCode = code, CaratsHundredths = hundredths, ValueUsdCents = value });
            carats += hundredths;
            cents += value;
        }

        draft.CaratsHundredths = carats;
        draft.ValueUsdCents = cents;
        return draft;
    }

    private static Party PartyOf(string code)
    {
        var (name, address, city) = Traders.TryGetValue(code, out var t)
            ? t
            : ($"{code} Rough Diamond Traders Ltd", $"1 Bourse Street", $"{code} capital");
        return new Party { Name = name, Address = $"{address}, {city}", Country = code };
    }

    private static string? FindCsv()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", "kp-participants.csv");
                if (File.Exists(candidate))
                    return candidate;
            }
        }

        return null;
    }

    private static IEnumerable<TradePartner> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = SplitCsv(lines[0]);
        int Col(string name) => Array.IndexOf(header, name);
        var (name, code, exports, imports) = (Col("participant"), Col("code"), Col("exports_share_pct"), Col("imports_share_pct"));
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = SplitCsv(line);
            yield return new TradePartner(f[code], f[name], Share(f[exports]) + Share(f[imports]));
        }

        static double Share(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
                current.Append(c);
        }

        fields.Add(current.ToString());
        return [.. fields];
    }

    // The shares of shared/data/kp-participants.csv (2022-2024 carats), for machines without shared/.
    private static IEnumerable<TradePartner> BuiltIn() =>
    [
        new("AE", "United Arab Emirates", 30), new("IN", "India", 40), new("EU", "European Union", 14),
        new("RU", "Russian Federation", 11), new("BW", "Botswana", 8.2), new("CA", "Canada", 4.9),
        new("CD", "Congo, Democratic Republic of", 3.5), new("ZA", "South Africa", 3.3),
    ];
}
