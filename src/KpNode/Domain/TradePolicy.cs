namespace KpNode.Domain;

/// <summary>A partner's standing in the Kimberley Process as this node's policy sees it.</summary>
internal enum PartnerStanding
{
    Active,
    /// <summary>No certificates are issued to or accepted from it.</summary>
    Suspended,
    /// <summary>Its exports are accepted only from listed zones of origin (e.g. CAR 2015-2024).</summary>
    Partial,
}

/// <summary>What this node trades with one partner: standing, permitted zones, refused origins.</summary>
internal sealed record PartnerPolicy(
    string Partner,
    PartnerStanding Standing,
    IReadOnlyList<string> PermittedOriginZones,
    IReadOnlyList<string> RefusedOrigins);

/// <summary>
/// The node's trade policy: KP standing per partner plus national restrictions by origin. Each refusal
/// names the configuration key that causes it, so an operator knows what to change.
/// </summary>
internal sealed record TradePolicy(IReadOnlyList<string> RefusedOrigins, bool RefuseMixedOrigin)
{
    public static TradePolicy Open { get; } = new([], false);

    /// <summary>Why we may not issue <paramref name="c"/> to the partner, or null.</summary>
    public string? RefusalToIssue(Certificate c, PartnerPolicy partner) =>
        Standing(partner, "issued to") ?? Origins(c, partner);

    /// <summary>Why we may not accept <paramref name="c"/> from the partner, or null.</summary>
    public string? RefusalToAccept(Certificate c, PartnerPolicy partner)
    {
        if (Standing(partner, "accepted from") is { } refusal)
        {
            return refusal;
        }

        if (partner.Standing == PartnerStanding.Partial
            && (c.OriginZone is null || !partner.PermittedOriginZones.Contains(c.OriginZone, StringComparer.OrdinalIgnoreCase)))
        {
            return $"trade policy (Node:Partners[{partner.Partner}]:PermittedOriginZones): {partner.Partner} may export only rough diamonds "
                + $"from {string.Join(", ", partner.PermittedOriginZones)}; this certificate names "
                + (c.OriginZone is null ? "no zone of origin" : $"zone '{c.OriginZone}'");
        }

        return Origins(c, partner);
    }

    private static string? Standing(PartnerPolicy partner, string verb) => partner.Standing == PartnerStanding.Suspended
        ? $"trade policy (Node:Partners[{partner.Partner}]:Standing): {partner.Partner} is suspended; no certificate can be {verb} it"
        : null;

    private string? Origins(Certificate c, PartnerPolicy partner)
    {
        if (c.MixedOrigin && RefuseMixedOrigin)
        {
            return "trade policy (Node:TradePolicy:RefuseMixedOrigin): rough diamonds of mixed origin are refused, because the "
                + $"refused origins ({string.Join(", ", RefusedOrigins)}) cannot be excluded";
        }

        foreach (var origin in c.OriginCountries)
        {
            if (RefusedOrigins.Contains(origin))
            {
                return $"trade policy (Node:TradePolicy:RefusedOrigins): rough diamonds of origin {origin} are refused";
            }

            if (partner.RefusedOrigins.Contains(origin))
            {
                return $"trade policy (Node:Partners[{partner.Partner}]:RefusedOrigins): rough diamonds of origin {origin} are refused in trade with {partner.Partner}";
            }
        }

        return null;
    }
}
