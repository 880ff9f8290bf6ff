using Grpc.Core;

namespace KpNode.Cli;

/// <summary>
/// A node's refusal in the words of the command the person typed: a request field the node names ("pageSize: …") is
/// named as the option that set it ("--limit: …"), or left out when the person typed it as an argument.
/// </summary>
internal static class Refusals
{
    /// <summary>Runs a command body; a refusal naming a field in <paramref name="asTyped"/> is printed with that name, anything else goes on to the common handling.</summary>
    public static async Task<int> AsTyped(IReadOnlyDictionary<string, string> asTyped, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (RpcException e) when (e.StatusCode is not (StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.DeadlineExceeded)
                                     && Rename(e.Status.Detail, asTyped) is { } words)
        {
            return KpNodeCli.Fail(words);
        }
    }

    /// <summary>The detail with each line's leading field renamed, or null when no line names one of the fields.</summary>
    internal static string? Rename(string detail, IReadOnlyDictionary<string, string> asTyped)
    {
        var renamed = false;
        var lines = detail.Split('\n').Select(line =>
        {
            // "field: rule", a list item "- field: rule", or several joined by "; ".
            return string.Join("; ", line.Split("; ").Select(part =>
            {
                var bullet = part.StartsWith("- ", StringComparison.Ordinal) ? "- " : "";
                var text = part[bullet.Length..];
                var colon = text.IndexOf(": ", StringComparison.Ordinal);
                if (colon <= 0 || !asTyped.TryGetValue(text[..colon], out var typed))
                    return part;
                renamed = true;
                return bullet + (typed.Length == 0 ? text[(colon + 2)..] : $"{typed}: {text[(colon + 2)..]}");
            }));
        }).ToList();
        return renamed ? string.Join("\n", lines) : null;
    }
}
