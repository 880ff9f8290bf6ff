using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace KpNode.Configuration;

/// <summary>
/// The node's own endpoints (Peer, Local, operations) each need a port of their own: a clash within one file is named
/// at validation, by its two keys, rather than found by Kestrel as "address in use" as if another process held it.
/// </summary>
internal static partial class EndpointClashes
{
    /// <summary>The endpoint keys with their values, in the order of the file.</summary>
    public static IReadOnlyList<(string Key, string Value)> Endpoints(NodeOptions o) =>
    [
        (ConfigKeys.Key(ConfigKeys.Node, "PeerEndpoint"), o.PeerEndpoint),
        (ConfigKeys.Key(ConfigKeys.Node, "LocalEndpoint"), o.LocalEndpoint),
        (ConfigKeys.Key(ConfigKeys.Operations, "Endpoint"), o.Operations.Endpoint),
    ];

    /// <summary>One problem per pair of endpoints that would bind the same port on overlapping addresses.</summary>
    public static IEnumerable<string> Check(NodeOptions o)
    {
        var endpoints = Endpoints(o)
            .Select(e => (e.Key, e.Value, Ok: ListenAddress.TryParse(e.Value, out var address), Address: address))
            .Where(e => e.Ok && e.Address.Port != 0)
            .ToList();
        for (var i = 0; i < endpoints.Count; i++)
        {
            for (var j = i + 1; j < endpoints.Count; j++)
            {
                if (endpoints[i].Address.Port == endpoints[j].Address.Port && Overlap(endpoints[i].Address, endpoints[j].Address))
                {
                    yield return $"{endpoints[j].Key}: {endpoints[j].Value} uses the same port as {endpoints[i].Key} ({endpoints[i].Value}); give each endpoint its own port";
                }
            }
        }
    }

    /// <summary>The message for a port that another process holds, naming the key whose port it is when the error says which.</summary>
    public static string InUseByAnotherProcess(NodeConfig config, string bindError)
    {
        var port = PortInMessage().Match(bindError) is { Success: true } m ? int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture) : (int?)null;
        var keys = Endpoints(config.Options)
            .Where(e => ListenAddress.TryParse(e.Value, out var a) && (port is null || a.Port == port))
            .Select(e => $"{e.Key} ({e.Value})")
            .ToList();
        var where = port is null ? "a port" : $"port {port}";
        return $"{string.Join(", ", keys)}: {where} is already in use by another process; stop that process or choose another port";
    }

    // Kestrel binds "localhost" as the IPv4 loopback (see NodeHost.Listen); a wildcard address takes the port on every address.
    private static bool Overlap(ListenAddress a, ListenAddress b)
    {
        var x = a.Ip ?? IPAddress.Loopback;
        var y = b.Ip ?? IPAddress.Loopback;
        return x.Equals(y) || x.Equals(IPAddress.Any) || y.Equals(IPAddress.Any) || x.Equals(IPAddress.IPv6Any) || y.Equals(IPAddress.IPv6Any);
    }

    [GeneratedRegex(@"https?://\S+:(?<port>\d+)")]
    private static partial Regex PortInMessage();
}
