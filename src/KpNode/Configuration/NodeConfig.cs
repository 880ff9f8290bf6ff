using System.Net;
using KpNode.Domain;

namespace KpNode.Configuration;

/// <summary>A node configuration file, loaded, with paths resolved against the file and every key checked.</summary>
internal sealed class NodeConfig
{
    /// <summary>Prefix of environment variables that override the file, e.g. KPNODE_Node__PeerEndpoint.</summary>
    public const string EnvironmentPrefix = "KPNODE_";

    private NodeConfig(string filePath, NodeOptions options, ListenAddress peer, ListenAddress local, ListenAddress operations)
    {
        FilePath = filePath;
        Options = options;
        PeerListen = peer;
        LocalListen = local;
        OperationsListen = operations;
    }

    public string FilePath { get; }

    /// <summary>The options with every path made absolute.</summary>
    public NodeOptions Options { get; }

    public ListenAddress PeerListen { get; }

    public ListenAddress LocalListen { get; }

    /// <summary>Where the plain-HTTP operations endpoint (metrics, status page) listens.</summary>
    public ListenAddress OperationsListen { get; }

    public string Participant => Options.Participant;

    /// <summary>Loads and checks the file; throws <see cref="ConfigurationProblemException"/> listing every problem.</summary>
    public static NodeConfig Load(string path, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ConfigurationProblemException(fullPath,
                [$"--config: the file {fullPath} does not exist (see node-config/ for examples)"]);
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(fullPath, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .AddInMemoryCollection(overrides ?? [])
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ConfigurationProblemException(fullPath, [$"the file is not valid JSON: {e.InnerException?.Message ?? e.Message}"]);
        }

        var options = new NodeOptions();
        var problems = new List<string>();
        try
        {
            configuration.GetSection(NodeOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{NodeOptions.Section}: {e.Message}");
        }

        var baseDir = Path.GetDirectoryName(fullPath)!;
        string Resolve(string p) => string.IsNullOrWhiteSpace(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p));
        options.DataDirectory = Resolve(options.DataDirectory);
        options.PkiDirectory = Resolve(options.PkiDirectory);
        foreach (var partner in options.Partners)
        {
            partner.RootCertificate = Resolve(partner.RootCertificate);
        }

        problems.AddRange(Check(options));
        var peer = ParseListen("Node:PeerEndpoint", options.PeerEndpoint, problems);
        var local = ParseListen("Node:LocalEndpoint", options.LocalEndpoint, problems);
        var operations = ParseListen("Node:Operations:Endpoint", options.Operations.Endpoint, problems);
        if (problems.Count > 0)
        {
            throw new ConfigurationProblemException(fullPath, problems);
        }

        return new NodeConfig(fullPath, options, peer!, local!, operations!);
    }

    private static IEnumerable<string> Check(NodeOptions o)
    {
        if (!IsParticipantCode(o.Participant))
        {
            yield return $"Node:Participant: '{o.Participant}' is not a participant code (2-8 capital letters or digits, e.g. ZA)";
        }

        if (o.IssuingPrefixes.Count == 0)
        {
            yield return "Node:IssuingPrefixes: name at least one prefix for certificate numbers (e.g. [\"ZA\"])";
        }

        for (var i = 0; i < o.IssuingPrefixes.Count; i++)
        {
            if (!IsPrefix(o.IssuingPrefixes[i]))
            {
                yield return $"Node:IssuingPrefixes:{i}: '{o.IssuingPrefixes[i]}' is not a number prefix (2 capital letters, then up to 6 capital letters or digits)";
            }
        }

        if (string.IsNullOrWhiteSpace(o.DataDirectory))
        {
            yield return "Node:DataDirectory: required (where the node keeps its database)";
        }

        if (string.IsNullOrWhiteSpace(o.PkiDirectory))
        {
            yield return "Node:PkiDirectory: required (the folder made by 'kpnode pki init')";
        }
        else if (!Directory.Exists(o.PkiDirectory))
        {
            yield return $"Node:PkiDirectory: the folder {o.PkiDirectory} does not exist (create it with 'kpnode pki init --participant {o.Participant} --out {o.PkiDirectory}')";
        }

        if (o.MaxValidityDays is < 1 or > 3650)
        {
            yield return $"Node:MaxValidityDays: {o.MaxValidityDays} is outside 1..3650";
        }

        if (o.DefaultValidityDays < 1 || o.DefaultValidityDays > o.MaxValidityDays)
        {
            yield return $"Node:DefaultValidityDays: {o.DefaultValidityDays} must be 1..MaxValidityDays ({o.MaxValidityDays})";
        }

        if (o.MaxMessageBytes is < 16 * 1024 or > 16 * 1024 * 1024)
        {
            yield return $"Node:MaxMessageBytes: {o.MaxMessageBytes} is outside 16 KiB..16 MiB";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Partners.Count; i++)
        {
            var p = o.Partners[i];
            var key = $"Node:Partners:{i}";
            if (!IsParticipantCode(p.Participant))
            {
                yield return $"{key}:Participant: '{p.Participant}' is not a participant code";
            }
            else if (p.Participant == o.Participant)
            {
                yield return $"{key}:Participant: {p.Participant} is this node itself, not a partner";
            }
            else if (!seen.Add(p.Participant))
            {
                yield return $"{key}:Participant: partner {p.Participant} is listed twice";
            }

            if (!Uri.TryCreate(p.Address, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
            {
                yield return $"{key}:Address: '{p.Address}' is not an https:// address of the partner's Peer API";
            }

            if (string.IsNullOrWhiteSpace(p.RootCertificate))
            {
                yield return $"{key}:RootCertificate: required (the partner's root CA certificate, PEM)";
            }
            else if (!File.Exists(p.RootCertificate))
            {
                yield return $"{key}:RootCertificate: the file {p.RootCertificate} does not exist (ask {p.Participant} for its root.crt)";
            }

            if (!Enum.TryParse<PartnerStanding>(p.Standing, ignoreCase: true, out var standing) || !Enum.IsDefined(standing))
            {
                yield return $"{key}:Standing: '{p.Standing}' is not Active, Suspended or Partial";
            }
            else if (standing == PartnerStanding.Partial && p.PermittedOriginZones.Count == 0)
            {
                yield return $"{key}:PermittedOriginZones: a Partial partner needs the list of zones its exports may come from";
            }

            foreach (var problem in CheckOrigins($"{key}:RefusedOrigins", p.RefusedOrigins))
            {
                yield return problem;
            }

            for (var j = 0; j < p.NumberPrefixes.Count; j++)
            {
                if (!IsPrefix(p.NumberPrefixes[j]))
                {
                    yield return $"{key}:NumberPrefixes:{j}: '{p.NumberPrefixes[j]}' is not a number prefix";
                }
            }
        }

        foreach (var problem in CheckOrigins("Node:TradePolicy:RefusedOrigins", o.TradePolicy.RefusedOrigins))
        {
            yield return problem;
        }

        if (o.ExpiryCheckInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return "Node:ExpiryCheckInterval: must be at least 0.1 s";
        }

        var d = o.Delivery;
        if (d.AttemptTimeout <= TimeSpan.Zero) yield return "Node:Delivery:AttemptTimeout: must be positive";
        if (d.QuickRetries is < 0 or > 10) yield return "Node:Delivery:QuickRetries: must be 0..10";
        if (d.QuickRetryDelay <= TimeSpan.Zero) yield return "Node:Delivery:QuickRetryDelay: must be positive";
        if (d.FirstBackoff <= TimeSpan.Zero) yield return "Node:Delivery:FirstBackoff: must be positive";
        if (d.ProbeInterval < TimeSpan.FromMilliseconds(200)) yield return "Node:Delivery:ProbeInterval: must be at least 0.2 s";
        if (d.MaxBackoff < d.FirstBackoff) yield return "Node:Delivery:MaxBackoff: must be at least FirstBackoff";
        if (d.MaxInFlightPerPartner is < 1 or > 256) yield return "Node:Delivery:MaxInFlightPerPartner: must be 1..256";
        if (d.BacklogPageSize is < 1 or > 10_000) yield return "Node:Delivery:BacklogPageSize: must be 1..10000";
        if (d.BreakerMinimumThroughput < 2) yield return "Node:Delivery:BreakerMinimumThroughput: must be at least 2";
        if (d.BreakerFailureRatio is <= 0 or > 1) yield return "Node:Delivery:BreakerFailureRatio: must be in (0, 1]";
        if (d.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500)) yield return "Node:Delivery:BreakerSamplingDuration: must be at least 0.5 s";
        if (d.BreakerBreakDuration < TimeSpan.FromMilliseconds(500)) yield return "Node:Delivery:BreakerBreakDuration: must be at least 0.5 s";

        var ops = o.Operations;
        if (ops.ExpiryWarningDays is < 0 or > 3650) yield return $"Node:Operations:ExpiryWarningDays: {ops.ExpiryWarningDays} is outside 0..3650";
        if (ops.LogFormat is not ("simple" or "json")) yield return $"Node:Operations:LogFormat: '{ops.LogFormat}' is not one of simple, json";
        if (ops.StatusPageRefreshSeconds is < 1 or > 3600) yield return $"Node:Operations:StatusPageRefreshSeconds: {ops.StatusPageRefreshSeconds} is outside 1..3600";
    }

    private static IEnumerable<string> CheckOrigins(string key, List<string> origins)
    {
        for (var i = 0; i < origins.Count; i++)
        {
            if (!Iso3166.IsAssigned(origins[i]))
            {
                yield return $"{key}:{i}: '{origins[i]}' is not an ISO 3166-1 alpha-2 country code";
            }
        }
    }

    private static ListenAddress? ParseListen(string key, string value, List<string> problems)
    {
        if (ListenAddress.TryParse(value, out var address))
        {
            return address;
        }

        problems.Add($"{key}: '{value}' is not host:port (use an IP address or localhost, e.g. 127.0.0.1:7101)");
        return null;
    }

    internal static bool IsParticipantCode(string? code) => Domain.ParticipantCode.IsWellFormed(code);

    internal static bool IsPrefix(string? prefix) => Domain.CertificateNumber.IsWellFormedPrefix(prefix);
}

/// <summary>Where an endpoint listens: an IP address or "localhost", and a port (0 = any free port).</summary>
internal sealed record ListenAddress(string Host, int Port)
{
    public bool IsLocalhost => Host == "localhost";

    public IPAddress? Ip => IsLocalhost ? null : IPAddress.Parse(Host);

    /// <summary>An address a client on this machine can dial for this endpoint.</summary>
    public string DialHost => Host switch
    {
        "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        _ => Host,
    };

    public static bool TryParse(string? value, out ListenAddress address)
    {
        address = null!;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            return false;
        }

        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            return false;
        }

        address = new ListenAddress(host, port);
        return true;
    }

    public Uri ToUri(int port) =>
        new($"https://{(DialHost.Contains(':') ? $"[{DialHost}]" : DialHost)}:{port}");
}

/// <summary>A configuration that cannot run; the message lists every key at fault and what to do.</summary>
internal sealed class ConfigurationProblemException(string file, IReadOnlyList<string> problems)
    : Exception($"The node configuration {file} cannot be used:{Environment.NewLine}"
                + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
