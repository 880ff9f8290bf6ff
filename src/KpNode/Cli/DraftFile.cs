using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf;
using KpNode.Wire.V1;

namespace KpNode.Cli;

/// <summary>A certificate draft read from a protobuf JSON file; a problem names the file, and the line and column where it can.</summary>
internal static partial class DraftFile
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    // Strict: a byte that is not UTF-8 would otherwise become U+FFFD silently and be signed so.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A draft from the file's bytes, which must be UTF-8 (a byte order mark is allowed); a problem names the file and the offset of the first bad byte.</summary>
    public static (Certificate? Draft, string Problem) Read(string path, byte[] bytes)
    {
        var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes, bom, bytes.Length - bom);
        }
        catch (DecoderFallbackException e)
        {
            var offset = bom + Math.Max(0, e.Index);
            return (null, $"{path}: byte {offset.ToString(CultureInfo.InvariantCulture)} (0x{bytes[Math.Min(offset, bytes.Length - 1)]:X2}) is not UTF-8: save the draft as UTF-8 text and try again");
        }

        return Read(path, text);
    }

    public static (Certificate? Draft, string Problem) Read(string path, string text)
    {
        // System.Text.Json first: it knows where a syntax error is, which the protobuf parser does not say.
        try
        {
            using var _ = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            return (null, $"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON: {Sentence(e.Message)}");
        }

        try
        {
            return (Parser.Parse<Certificate>(text), "");
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            var where = UnknownField().Match(e.Message) is { Success: true } m ? Locate(text, m.Groups[1].Value) : "";
            return (null, $"{path}{where}: not a certificate draft in protobuf JSON: {e.Message} (see node-config/examples/za-to-be.json)");
        }
    }

    // The line and column of a field's name in the text, as ":line:column".
    private static string Locate(string text, string field)
    {
        var at = text.IndexOf($"\"{field}\"", StringComparison.Ordinal);
        if (at < 0)
            return "";
        var line = text.AsSpan(0, at).Count('\n') + 1;
        var column = at - (text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1) + 1;
        return $":{line}:{column}";
    }

    // System.Text.Json's message ends with its own position in its own words; ours is in front.
    private static string Sentence(string message) => PositionSuffix().Replace(message, "").TrimEnd();

    [GeneratedRegex(@"Unknown field: (\w+)")]
    private static partial Regex UnknownField();

    [GeneratedRegex(@"\s*(Path|LineNumber):.*$")]
    private static partial Regex PositionSuffix();
}
