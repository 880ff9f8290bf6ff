using System.Security.Cryptography.X509Certificates;
using KpNode.Configuration;
using KpNode.Domain;

namespace KpNode.Trust;

/// <summary>A trading partner as configured: its code, where its node listens, and the root we trust for it.</summary>
internal sealed record Partner(string Code, Uri Address, X509Certificate2 Root, IReadOnlyList<string> NumberPrefixes, PartnerPolicy Policy)
{
    /// <summary>
    /// The anchors a message from this partner may chain to: its root, and during a root rollover (a root file holding
    /// the old and the new root, as <c>partner update</c> writes it) the new root as well.
    /// </summary>
    public IReadOnlyCollection<X509Certificate2> Anchors { get; init; } = [Root];
}

/// <summary>The configured partners, with their roots loaded and checked once at start.</summary>
internal sealed class Partners
{
    private readonly Dictionary<string, Partner> _byCode;

    public Partners(IEnumerable<Partner> partners)
    {
        _byCode = partners.ToDictionary(p => p.Code, StringComparer.Ordinal);
        AllRoots = _byCode.Values.SelectMany(p => p.Anchors).ToArray();
    }

    public IReadOnlyCollection<Partner> All => _byCode.Values;

    public IReadOnlyList<X509Certificate2> AllRoots { get; }

    public Partner? Find(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>Loads every partner root named in the configuration; problems name the key.</summary>
    public static Partners Load(NodeConfig config)
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
                var root = roots[0];
                var prefixes = p.NumberPrefixes.Count > 0 ? p.NumberPrefixes.ToArray() : [p.Participant];
                var policy = new PartnerPolicy(p.Participant, p.Standing,
                    p.PermittedOriginZones.ToArray(), p.RefusedOrigins.ToArray());
                partners.Add(new Partner(p.Participant, new Uri(p.Address), root, prefixes, policy) { Anchors = roots });
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

        return new Partners(partners);
    }
}
