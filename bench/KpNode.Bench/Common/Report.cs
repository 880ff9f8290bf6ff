using System.Text.Json;
using System.Text.Json.Serialization;

namespace KpNode.Bench.Common;

/// <summary>Prints a run's figures: a human line per figure, or one JSON document with --json.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void PrintJson(object figures) => Console.WriteLine(JsonSerializer.Serialize(figures, figures.GetType(), Json));

    /// <summary>Progress goes to stderr so that stdout stays parseable with --json.</summary>
    public static void Progress(string line) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
