using System.Diagnostics;
using System.Text.Json.Nodes;
using KpNode.Hosting;
using KpNode.Trust;

namespace KpNode.Tests.Configuration;

/// <summary>A temporary folder with ZA's and BE's PKI and a valid ZA config to vary; deleted at the end of the test.</summary>
internal sealed class ConfigFolder : IDisposable
{
    public ConfigFolder()
    {
        using var za = DevPki.Create("ZA", [], DateTimeOffset.UtcNow);
        using var be = DevPki.Create("BE", [], DateTimeOffset.UtcNow);
        PkiFiles.Write(Path.Combine(Dir, "pki", "za"), za);
        PkiFiles.Write(Path.Combine(Dir, "pki", "be"), be);
    }

    public string Dir { get; } = Directory.CreateTempSubdirectory("kpnode-startup-").FullName;

    public string ZaPki => Path.Combine(Dir, "pki", "za");

    public static JsonObject Valid() => new()
    {
        ["Node"] = new JsonObject
        {
            ["Participant"] = "ZA",
            ["ExportingAuthority"] = "South African Diamond and Precious Metals Regulator",
            ["IssuingPrefixes"] = new JsonArray("ZA"),
            ["DataDirectory"] = "data",
            ["PkiDirectory"] = "pki/za",
            ["PeerEndpoint"] = "127.0.0.1:0",
            ["LocalEndpoint"] = "127.0.0.1:0",
            ["Partners"] = new JsonArray(new JsonObject
            {
                ["Participant"] = "BE",
                ["Address"] = "https://localhost:7201",
                ["RootCertificate"] = "pki/be/root.crt",
            }),
        },
    };

    public string Write(JsonObject config, string name = "node.json") => Write(config.ToJsonString(), name);

    public string Write(string text, string name = "node.json")
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>Runs `kpnode run --config <paramref name="config"/>` to its exit (it is expected to refuse to start), with extra environment variables.</summary>
    public static async Task<(int ExitCode, string Stderr)> RunRefusedAsync(string config, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(NodeHost).Assembly.Location);
        start.ArgumentList.Add("run");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(config);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"kpnode run started instead of refusing:\n{await stdout}\n{await stderr}");
        }

        // Everything a person sees, in the order it does not matter: a stack trace on either stream is a failure.
        return (process.ExitCode, await stderr + await stdout);
    }

    /// <summary>A line of a .NET stack trace, as the console logger or an unhandled exception prints it.</summary>
    public static void AssertNoStackTrace(string output) =>
        Assert.False(output.Contains("   at ", StringComparison.Ordinal) || output.Contains("--- End of", StringComparison.Ordinal), output);
}
