using System.Security.Cryptography.X509Certificates;
using KpNode.Configuration;
using KpNode.Domain;

namespace KpNode.Trust;

/// <summary>A trading partner as configured: its code, where its node listens, and the root(s) we trust for it.</summary>
/// <summary>One of a partner's issuing offices as we configured it: its certificates must name this authority and number prefix.</summary>
internal sealed record PartnerOffice(string Code, string ExportingAuthority, string NumberPrefix);

internal sealed record Partner(string Code, Uri Address, X509Certificate2 Root, IReadOnlyList<string> NumberPrefixes, PartnerPolicy Policy)
{
    /// <summary>The partner's offices (Node:Partners:N:Offices); empty: any office its root vouches for is accepted.</summary>
    public IReadOnlyList<PartnerOffice> Offices { get; init; } = [];

    /// <summary>
    /// The anchors a message from this partner may chain to: its root, and during a root rollover (a root file holding
    /// the old and the new root, as <c>partner update</c> writes it) the new root as well.
    /// </summary>
    public IReadOnlyCollection<X509Certificate2> Anchors { get; init; } = [Root];

    /// <summary>The competent authority the partner announced (Node:Partners:N:ExportingAuthority); empty: not checked.</summary>
    public string ExportingAuthority { get; init; } = "";

    /// <summary>Its place in Node:Partners, to name its keys in messages.</summary>
    public int ConfigIndex { get; init; }

    /// <summary>Whether the two dial the same node and trust the same roots for it: a channel made for one serves the other.</summary>
    public bool SameLink(Partner other) =>
        Address == other.Address && SameCertificates(Anchors, other.Anchors);

    /// <summary>What differs between this (the partner as the node had it) and <paramref name="next"/>, in words; empty when nothing does.</summary>
    public IReadOnlyList<string> Differences(Partner next)
    {
        var differences = new List<string>();
        if (Address != next.Address)
            differences.Add($"address {Address.OriginalString} -> {next.Address.OriginalString}");
        if (!SameCertificates(Anchors, next.Anchors))
            differences.Add($"roots {string.Join(" / ", Anchors.Select(RootFingerprint.Of))} -> {string.Join(" / ", next.Anchors.Select(RootFingerprint.Of))}");
        if (!NumberPrefixes.SequenceEqual(next.NumberPrefixes, StringComparer.Ordinal))
            differences.Add($"number prefixes {string.Join(",", NumberPrefixes)} -> {string.Join(",", next.NumberPrefixes)}");
        if (Policy.Standing != next.Policy.Standing || !Policy.PermittedOriginZones.SequenceEqual(next.Policy.PermittedOriginZones, StringComparer.Ordinal)
            || !Policy.RefusedOrigins.SequenceEqual(next.Policy.RefusedOrigins, StringComparer.Ordinal))
            differences.Add("trade policy");
        if (!string.Equals(ExportingAuthority, next.ExportingAuthority, StringComparison.Ordinal))
            differences.Add($"authority '{ExportingAuthority}' -> '{next.ExportingAuthority}'");
        if (!Offices.SequenceEqual(next.Offices))
            differences.Add($"offices {Listed(Offices)} -> {Listed(next.Offices)}");
        return differences;

        static string Listed(IReadOnlyList<PartnerOffice> offices) => offices.Count == 0 ? "(none)" : string.Join(",", offices.Select(o => o.Code));
    }

    private static bool SameCertificates(IReadOnlyCollection<X509Certificate2> a, IReadOnlyCollection<X509Certificate2> b) =>
        a.Count == b.Count && a.Zip(b).All(pair => pair.First.RawDataMemory.Span.SequenceEqual(pair.Second.RawDataMemory.Span));
}

/// <summary>
/// The configured partners, with their roots loaded and checked. The set can be replaced while the node runs
/// (<c>kpnode partner reload</c>): readers see the old set or the new one, never a mix.
/// </summary>
internal sealed class Partners
{
    private volatile Dictionary<string, Partner> _byCode;

    public Partners(IEnumerable<Partner> partners) => _byCode = ByCode(partners);

    public IReadOnlyCollection<Partner> All => _byCode.Values;

    public Partner? Find(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>Makes <paramref name="partners"/> the set every later reader sees.</summary>
    public void Replace(IEnumerable<Partner> partners) => _byCode = ByCode(partners);

    private static Dictionary<string, Partner> ByCode(IEnumerable<Partner> partners) =>
        partners.ToDictionary(p => p.Code, StringComparer.Ordinal);

    /// <summary>Loads every partner root named in the configuration; problems name the key.</summary>
    public static Partners Load(NodeConfig config) => new(Read(config));

    /// <summary>The partners <paramref name="config"/> names, roots loaded; throws <see cref="ConfigurationProblemException"/> with every problem.</summary>
    public static IReadOnlyList<Partner> Read(NodeConfig config)
    {
        var options = config.Options;
        var problems = new List<string>();
        var partners = new List<Partner>();
        for (var i = 0; i < options.Partners.Count; i++)
        {
            var p = options.Partners[i];
            try
            {
                var roots = PkiFiles.LoadRoots(p.RootCertificate, p.Participant);
                var prefixes = p.NumberPrefixes.Count > 0 ? p.NumberPrefixes.ToArray() : [p.Participant];
                var policy = new PartnerPolicy(p.Participant, p.Standing,
                    p.PermittedOriginZones.ToArray(), p.RefusedOrigins.ToArray());
                partners.Add(new Partner(p.Participant, new Uri(p.Address), roots[0], prefixes, policy)
                {
                    Anchors = roots,
                    ExportingAuthority = p.ExportingAuthority.Trim(),
                    Offices = [.. p.Offices.Select(o => new PartnerOffice(o.Code, o.ExportingAuthority.Trim(), o.NumberPrefix))],
                    ConfigIndex = i,
                });
            }
            catch (Exception e) when (e is PkiFileException or IOException or UnauthorizedAccessException)
            {
                problems.Add($"{ConfigKeys.Partner(i, "RootCertificate")}: {e.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationProblemException(config.FilePath, problems);
        }

        return partners;
    }
}
