namespace KpNode.Simulation;

/// <summary>What happens to a shipment after its certificate is issued.</summary>
internal enum ShipmentFate
{
    Confirmed,
    Discrepancy,
    Detained,
    /// <summary>Voided by the exporter before it is confirmed; a replacement certificate is issued the next day.</summary>
    Voided,
    /// <summary>Never confirmed: it expires, on both sides, within the run.</summary>
    Expires,
}

/// <summary>One shipment of the simulated year: the day its certificate is due, the route, its figures and fate.</summary>
internal sealed record PlannedShipment(int Index, int Day, string From, string To, int Parcels,
    long GemCarats, long IndustrialCarats, long GemCents, long IndustrialCents, ShipmentFate Fate, int? Replaces = null)
{
    public long Carats => GemCarats + IndustrialCarats;

    public long Cents => GemCents + IndustrialCents;
}

/// <summary>A pair of participants whose nodes are partners: trade runs one way or both along it.</summary>
internal readonly record struct Route(string From, string To, double Weight);

/// <summary>
/// A seeded, reproducible year of trade: which participants trade with which (each exporter with the importers its
/// shares weigh most, up to <see cref="ImportersPerExporter"/>), and the shipments drawn along those routes.
/// </summary>
internal sealed class TradePlan
{
    public const int ImportersPerExporter = 8;

    private TradePlan(IReadOnlyList<TradeShare> participants, IReadOnlyList<Route> routes, IReadOnlyList<PlannedShipment> shipments, int days)
    {
        Participants = participants;
        Routes = routes;
        Shipments = shipments;
        Days = days;
        Partnered = routes.SelectMany(r => new[] { (r.From, r.To), (r.To, r.From) }).ToHashSet();
    }

    public IReadOnlyList<TradeShare> Participants { get; }

    public IReadOnlyList<Route> Routes { get; }

    /// <summary>Every planned certificate, replacements included, by day.</summary>
    public IReadOnlyList<PlannedShipment> Shipments { get; }

    public int Days { get; }

    public IReadOnlySet<(string, string)> Partnered { get; }

    public bool ArePartners(string a, string b) => Partnered.Contains((a, b));

    /// <summary>
    /// The <paramref name="participantCount"/> largest traders (all when 0 or more than there are), and about
    /// <paramref name="certificates"/> certificates over <paramref name="days"/> days.
    /// </summary>
    public static TradePlan Create(int seed, int participantCount, int certificates, int days)
    {
        var random = new Random(seed);
        var all = TradeShares.All;
        var chosen = participantCount <= 0 || participantCount >= all.Count
            ? all.ToList()
            : all.OrderByDescending(p => p.ExportPercent + p.ImportPercent).ThenBy(p => p.Code, StringComparer.Ordinal).Take(participantCount).ToList();
        var routes = RoutesOf(chosen, random);
        var shipments = Draw(routes, certificates, days, random);
        return new TradePlan(chosen, routes, shipments, days);
    }

    private static List<Route> RoutesOf(List<TradeShare> participants, Random random)
    {
        // Ties among participants without a published share are broken by the seed, not by the alphabet.
        var jitter = participants.ToDictionary(p => p.Code, _ => random.NextDouble());
        var routes = new List<Route>();
        foreach (var exporter in participants)
        {
            var importers = participants.Where(i => i.Code != exporter.Code)
                .OrderByDescending(i => i.ImportPercent * (1 + 0.5 * jitter[i.Code])).Take(ImportersPerExporter);
            routes.AddRange(importers.Select(i => new Route(exporter.Code, i.Code, exporter.ExportPercent * i.ImportPercent)));
        }

        // Every participant imports from someone: the largest other exporter ships to whoever no route reached yet.
        foreach (var p in participants.Where(p => !routes.Any(r => r.To == p.Code)).ToList())
        {
            var largest = participants.Where(e => e.Code != p.Code).MaxBy(e => e.ExportPercent)!;
            routes.Add(new Route(largest.Code, p.Code, largest.ExportPercent * p.ImportPercent));
        }

        return routes;
    }

    private static List<PlannedShipment> Draw(List<Route> routes, int certificates, int days, Random random)
    {
        var cumulative = new double[routes.Count];
        var total = 0.0;
        for (var i = 0; i < routes.Count; i++)
        {
            total += routes[i].Weight;
            cumulative[i] = total;
        }

        var drawn = new List<(int Day, Route Route, ShipmentFate Fate)>(certificates);
        for (var n = 0; n < certificates; n++)
        {
            var at = Array.BinarySearch(cumulative, random.NextDouble() * total);
            var route = routes[at < 0 ? Math.Min(~at, routes.Count - 1) : at];
            var day = random.Next(days);
            drawn.Add((day, route, FateOf(random.NextDouble(), day, days)));
        }

        var shipments = new List<PlannedShipment>(certificates + certificates / 50);
        foreach (var (day, route, fate) in drawn.OrderBy(d => d.Day))
        {
            var shipment = Figures(shipments.Count, day, route, fate, random);
            shipments.Add(shipment);
            if (fate == ShipmentFate.Voided)
            {
                shipments.Add(Figures(shipments.Count, Math.Min(day + 1, days - 1), route, ShipmentFate.Confirmed, random) with { Replaces = shipment.Index });
            }
        }

        return [.. shipments.OrderBy(s => s.Day).ThenBy(s => s.Index)];
    }

    // A few of each exception, as a year of real trade has; an expiry only where the run lasts past its date.
    private static ShipmentFate FateOf(double draw, int day, int days) => draw switch
    {
        < 0.010 => ShipmentFate.Discrepancy,
        < 0.013 => ShipmentFate.Detained,
        < 0.021 => ShipmentFate.Voided,
        < 0.030 when day < days - ExpiryDays - 5 => ShipmentFate.Expires,
        _ => ShipmentFate.Confirmed,
    };

    /// <summary>Days from issue to expiry of a certificate planned to expire unconfirmed.</summary>
    public const int ExpiryDays = 14;

    private static PlannedShipment Figures(int index, int day, Route route, ShipmentFate fate, Random random)
    {
        // Carats: log-uniform from 50 ct to 50,000 ct, mostly gem quality, at $40-$400 per carat.
        var carats = (long)(5_000 * Math.Pow(1_000, random.NextDouble()));
        var gem = carats * (60 + random.Next(40)) / 100;
        var industrial = carats - gem;
        var gemPrice = 4_000 + random.Next(36_000);
        return new PlannedShipment(index, day, route.From, route.To, 1 + random.Next(12),
            gem, industrial, gem * gemPrice / 100, industrial * 45 / 100, fate);
    }
}
