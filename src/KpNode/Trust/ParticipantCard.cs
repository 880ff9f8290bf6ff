using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KpNode.Trust;

/// <summary>
/// What a participant tells a new partner about itself, signed by its root (<see cref="ParticipantCardEnvelope"/>):
/// its code, competent authorities, root certificate(s) (two during a root rollover), where its Peer API listens, and
/// the protocol it speaks. The payload is plain JSON, so a partner can read and check it without KpNode.
/// </summary>
internal sealed record ParticipantCard(
    string Participant,
    IReadOnlyList<string> Authorities,
    IReadOnlyList<X509Certificate2> Roots,
    IReadOnlyList<Uri> PeerEndpoints,
    IReadOnlyList<string> ProtocolVersions,
    IReadOnlyList<string> PayloadTypes,
    DateTimeOffset Date)
{
    /// <summary>The participant's issuing offices (the EU's Union authorities); empty for one that issues as one authority, and on older cards.</summary>
    public IReadOnlyList<PartnerOffice> Offices { get; init; } = [];

    /// <summary>The DSSE payload type of a card; bound into the signed bytes, so no other signed document passes as one.</summary>
    public const string PayloadType = "application/vnd.kp.participant-card.v1+json";

    /// <summary>The protocol versions this build speaks: the proto package of the Peer API.</summary>
    public static readonly IReadOnlyList<string> OurProtocolVersions = ["kp.v1"];

    /// <summary>The payload types of the business messages this build sends and accepts.</summary>
    public static readonly IReadOnlyList<string> OurPayloadTypes =
    [
        Wire.PayloadTypes.CertificateIssued, Wire.PayloadTypes.CertificateVoided, Wire.PayloadTypes.ImportConfirmation,
        Wire.PayloadTypes.Receipt, Wire.PayloadTypes.PingAnswer, Wire.PayloadTypes.AuthenticityStatement,
    ];

    // Relaxed escaping keeps "+" in a payload type and accents in an authority's name readable; the card never goes into HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The payload: UTF-8 JSON with the roots as PEM, so a person can cut one out and run openssl on it.</summary>
    public byte[] ToJson()
    {
        var json = new JsonObject
        {
            ["participant"] = Participant,
            ["authorities"] = new JsonArray([.. Authorities.Select(a => (JsonNode)a)]),
            ["roots"] = new JsonArray([.. Roots.Select(r => (JsonNode)r.ExportCertificatePem())]),
            ["peerEndpoints"] = new JsonArray([.. PeerEndpoints.Select(e => (JsonNode)e.ToString())]),
            ["protocolVersions"] = new JsonArray([.. ProtocolVersions.Select(v => (JsonNode)v)]),
            ["payloadTypes"] = new JsonArray([.. PayloadTypes.Select(t => (JsonNode)t)]),
            ["date"] = Date.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        if (Offices.Count > 0)
        {
            json["offices"] = new JsonArray([.. Offices.Select(o => (JsonNode)new JsonObject
            {
                ["code"] = o.Code,
                ["authority"] = o.ExportingAuthority,
                ["numberPrefix"] = o.NumberPrefix,
            })]);
        }

        return JsonSerializer.SerializeToUtf8Bytes(json, Indented);
    }

    /// <summary>Reads a payload; every problem found is listed (the card is refused if there is any).</summary>
    public static ParticipantCard? Parse(ReadOnlySpan<byte> payload, List<string> problems)
    {
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(payload) as JsonObject;
        }
        catch (JsonException e)
        {
            problems.Add($"the card's payload is not JSON ({e.Message})");
            return null;
        }

        if (json is null)
        {
            problems.Add("the card's payload is not a JSON object");
            return null;
        }

        var participant = Text(json, "participant", problems);
        if (participant is not null && !ParticipantIdentity.IsValidCode(participant))
            problems.Add($"participant: '{Domain.Printable.Of(participant, 20)}' is not a participant code");
        var authorities = Texts(json, "authorities", problems);
        foreach (var authority in authorities.Where(a => a.Trim().Length == 0 || Domain.Printable.Of(a, 200) != a))
            problems.Add($"authorities: '{Domain.Printable.Of(authority, 200)}' is not printable text of at most 200 characters");
        var roots = new List<X509Certificate2>();
        foreach (var pem in Texts(json, "roots", problems))
        {
            try
            {
                roots.Add(X509Certificate2.CreateFromPem(pem));
            }
            catch (CryptographicException)
            {
                problems.Add("roots: an entry is not a PEM certificate");
            }
        }

        if (roots.Count == 0)
            problems.Add("roots: the card carries no root certificate");
        var endpoints = new List<Uri>();
        foreach (var endpoint in Texts(json, "peerEndpoints", problems))
        {
            if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.PathAndQuery == "/")
                endpoints.Add(uri);
            else
                problems.Add($"peerEndpoints: '{Domain.Printable.Of(endpoint, 100)}' is not an https://host:port address");
        }

        if (endpoints.Count == 0)
            problems.Add("peerEndpoints: the card names no Peer API address");
        var versions = Texts(json, "protocolVersions", problems);
        var payloadTypes = Texts(json, "payloadTypes", problems);
        var dateText = Text(json, "date", problems);
        var date = DateTimeOffset.MinValue;
        if (dateText is not null && !DateTimeOffset.TryParseExact(dateText, "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date))
            problems.Add($"date: '{Domain.Printable.Of(dateText, 40)}' is not a UTC time like 2026-12-03T12:00:00Z");

        var offices = ReadOffices(json, problems);
        return problems.Count > 0 ? null : new ParticipantCard(participant!, authorities, roots, endpoints, versions, payloadTypes, date) { Offices = offices };
    }

    /// <summary>The optional "offices" list: each a code, its authority and its number prefix, none twice.</summary>
    private static List<PartnerOffice> ReadOffices(JsonObject json, List<string> problems)
    {
        var offices = new List<PartnerOffice>();
        if (json["offices"] is null)
            return offices;
        if (json["offices"] is not JsonArray array)
        {
            problems.Add("offices: not a list");
            return offices;
        }

        foreach (var item in array)
        {
            var entry = item as JsonObject;
            string? Field(string name) => entry?[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
            var (code, authority, prefix) = (Field("code"), Field("authority"), Field("numberPrefix"));
            if (!ParticipantIdentity.IsValidOfficeCode(code) || authority is null || authority.Trim().Length == 0 || Domain.Printable.Of(authority, 200) != authority
                || !Domain.CertificateNumber.IsWellFormedPrefix(prefix))
                problems.Add($"offices: '{Domain.Printable.Of(code ?? "", 40)}' is not an office with a code (e.g. BE-ANTWERP), an authority and a number prefix");
            else if (offices.Any(o => o.Code == code || o.NumberPrefix == prefix))
                problems.Add($"offices: {code} or its prefix {prefix} is listed twice");
            else
                offices.Add(new PartnerOffice(code!, authority, prefix!));
        }

        return offices;
    }

    private static string? Text(JsonObject json, string name, List<string> problems)
    {
        if (json[name] is JsonValue value && value.TryGetValue<string>(out var text))
            return text;
        problems.Add($"{name}: missing or not a string");
        return null;
    }

    private static List<string> Texts(JsonObject json, string name, List<string> problems)
    {
        var list = new List<string>();
        if (json[name] is not JsonArray array)
        {
            problems.Add($"{name}: missing or not a list");
            return list;
        }

        foreach (var item in array)
        {
            if (item is JsonValue value && value.TryGetValue<string>(out var text))
                list.Add(text);
            else
                problems.Add($"{name}: an entry is not a string");
        }

        return list;
    }
}
