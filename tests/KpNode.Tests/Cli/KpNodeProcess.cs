using System.Diagnostics;
using KpNode.Hosting;

namespace KpNode.Tests.Cli;

/// <summary>Runs the real `kpnode` binary as a process and captures what a person would see.</summary>
internal static class KpNodeProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Task<Result> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?> { ["COLUMNS"] = "200" }, args);

    /// <summary>Runs kpnode and fails the test, with everything it printed, unless it exits 0.</summary>
    public static async Task<Result> SucceedsAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var result = await RunAsync(environment ?? new Dictionary<string, string?> { ["COLUMNS"] = "200" }, args);
        Assert.True(result.ExitCode == 0, $"kpnode {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }

    /// <summary>Runs kpnode with these environment variables set (null removes one), its stdout a pipe as in a script.</summary>
    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(NodeHost).Assembly.Location);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kpnode {string.Join(' ', args)} did not finish within 120 s");
        }

        return new Result(process.ExitCode, await ChildOutput.OfExitedAsync("kpnode", stdout), await ChildOutput.OfExitedAsync("kpnode", stderr));
    }

    /// <summary>The repository's root, found from the test binary's folder.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KpNode.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("KpNode.sln not found above the test binaries");
    }
}
