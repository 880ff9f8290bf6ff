using System.Net;

namespace KpNode.Configuration;

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

    /// <summary>The message for a key whose value is not host:port.</summary>
    public static string Problem(string key, string? value) =>
        $"{key}: '{value}' is not host:port (use an IP address or localhost, e.g. 127.0.0.1:7101)";

    public Uri ToUri(int port) =>
        new($"https://{(DialHost.Contains(':') ? $"[{DialHost}]" : DialHost)}:{port}");
}
