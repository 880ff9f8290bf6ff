using KpNode.Wire.V1;

namespace KpNode.Cli;

/// <summary>Realistic (fictional) traders and shipments for the demo, by route.</summary>
internal static class DemoDrafts
{
    private static readonly Dictionary<string, Party> Traders = new()
    {
        ["ZA"] = new Party { Name = "Kgalagadi Rough Diamonds (Pty) Ltd", Address = "12 Diamond Road, Kimberley 8301", Country = "ZA" },
        ["BE"] = new Party { Name = "Schelde Diamond Trading NV", Address = "Hoveniersstraat 30, 2018 Antwerpen", Country = "BE" },
        ["AE"] = new Party { Name = "Gulf Rough Traders DMCC", Address = "Almas Tower, Jumeirah Lakes Towers, Dubai", Country = "AE" },
        ["EU"] = new Party { Name = "Nahe Edelstein Handel GmbH", Address = "Hauptstraße 120, 55743 Idar-Oberstein", Country = "DE" },
    };

    private static int _variant;

    public static Certificate Draft(string from, string to)
    {
        var v = Interlocked.Increment(ref _variant);
        var gem = 80_000L + v * 12_345;
        var industrial = 15_000L + v * 1_010;
        var draft = new Certificate
        {
            ImportingParticipant = to,
            Exporter = Traders[from].Clone(),
            Importer = Traders[to].Clone(),
            Parcels = 1 + v % 5,
            CaratsHundredths = gem + industrial,
            ValueUsdCents = gem * 380 + industrial * 45,
            SealNumber = $"{from}-SEAL-{40_000 + v}",
        };
        if (from == "ZA")
        {
            draft.OriginCountries.Add("ZA");
        }
        else
        {
            draft.MixedOrigin = true;
            // The EU is not a country: its goods' provenance is the member state they leave from.
            draft.ProvenanceCountry = from == "EU" ? Traders[from].Country : from;
        }

        draft.HsLines.Add(new HsLine { HsCode = "7102.31", CaratsHundredths = gem, ValueUsdCents = gem * 380 });
        draft.HsLines.Add(new HsLine { HsCode = "7102.21", CaratsHundredths = industrial, ValueUsdCents = industrial * 45 });
        return draft;
    }
}
