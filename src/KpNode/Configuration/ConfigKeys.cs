namespace KpNode.Configuration;

/// <summary>How a configuration key is spelled in messages: the path an operator edits, e.g. Node:Partners:0:RootCertificate.</summary>
internal static class ConfigKeys
{
    public const string Node = "Node";
    public const string Delivery = "Node:Delivery";
    public const string Operations = "Node:Operations";
    public const string TradePolicy = "Node:TradePolicy";

    /// <summary>A key of a section, or an item of a list in it: Key(Delivery, "AttemptTimeout"), Key(Node, "IssuingPrefixes", 0).</summary>
    public static string Key(string section, string key, int? index = null) =>
        index is { } i ? $"{section}:{key}:{i}" : $"{section}:{key}";

    /// <summary>A key of the partner at this position in the file.</summary>
    public static string Partner(int index, string? key = null) =>
        key is null ? $"{Node}:Partners:{index}" : $"{Node}:Partners:{index}:{key}";

    /// <summary>A key of the partner with this code, when its position does not matter to the reader.</summary>
    public static string Partner(string code, string key) => $"{Node}:Partners[{code}]:{key}";
}
