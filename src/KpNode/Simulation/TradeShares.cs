using System.Globalization;

namespace KpNode.Simulation;

/// <summary>A KP participant's published share of world rough-diamond trade, as the simulation draws trade from it.</summary>
internal sealed record TradeShare(string Code, string Name, double ExportPercent, double ImportPercent, bool Published);

/// <summary>The participants of kp-trade-shares.csv (the active ones of shared/data/kp-participants.csv), embedded in the build.</summary>
internal static class TradeShares
{
    /// <summary>What a participant without a published share trades: small, so that the big flows keep their weight.</summary>
    public const double DefaultPercent = 0.4;

    public static IReadOnlyList<TradeShare> All { get; } = Load();

    private static List<TradeShare> Load()
    {
        using var stream = typeof(TradeShares).Assembly.GetManifestResourceStream("KpNode.Simulation.kp-trade-shares.csv")
            ?? throw new InvalidOperationException("kp-trade-shares.csv is not embedded in this build");
        using var reader = new StreamReader(stream);
        var shares = new List<TradeShare>();
        var header = true;
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith('#') || line.Length == 0)
                continue;
            if (header)
            {
                header = false;
                continue;
            }

            var f = line.Split(',');
            var exports = Percent(f[2]);
            var imports = Percent(f[3]);
            shares.Add(new TradeShare(f[0], f[1], exports ?? DefaultPercent, imports ?? DefaultPercent, exports is not null || imports is not null));
        }

        return shares;
    }

    private static double? Percent(string text) =>
        text.Length == 0 ? null : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
