using System.Diagnostics;
using System.Text.RegularExpressions;
using KpNode.Hosting;
using KpNode.Tests.Cli;

namespace KpNode.Tests.Readme;

/// <summary>
/// The README's "Running two nodes by hand" section, run as written: its sh blocks in order, with bash, from a copy of
/// the repository's node-config in a temporary folder, against the kpnode these tests were built with. The one line
/// not run is the README's `dotnet build`, whose output (bin/kpnode/kpnode) the test provides. The section's nodes use
/// node-config's fixed ports (7101.., 7201..), which no other test uses.
/// </summary>
public sealed class ReadmeByHandTests
{
    private const string Section = "## Running two nodes by hand";

    [Fact]
    public async Task The_by_hand_section_runs_as_written_in_order_on_any_day()
    {
        await ThirdPartyTools.RequireCurlAsync(); // the JSON API steps
        var blocks = ShBlocks(await File.ReadAllTextAsync(Path.Combine(KpNodeProcess.RepoRoot(), "README.md")));
        Assert.True(blocks.Count >= 2, "the by-hand section has its sh blocks");
        var script = string.Join("\n", blocks);
        Assert.Single(Regex.Matches(script, "(?m)^dotnet build "));
        // Nothing dated outside comments: a date, a quarter or a certificate number (numbers contain the year) fails on a later day.
        var commands = Regex.Replace(script, "(?m)#.*$", "");
        Assert.DoesNotMatch(@"\d{4}-\d\d-\d\d|\d{4}Q\d|[A-Z]{2}-\d{4}-\d{6}", commands);

        var root = Directory.CreateTempSubdirectory("kpnode-readme-");
        try
        {
            CopyNodeConfig(Path.Combine(KpNodeProcess.RepoRoot(), "node-config"), Path.Combine(root.FullName, "node-config"));
            var bin = Directory.CreateDirectory(Path.Combine(root.FullName, "bin", "kpnode"));
            var kpnode = Path.Combine(bin.FullName, "kpnode");
            // The built binary, exec'd so that `$!` in the README is the node's own process.
            await File.WriteAllTextAsync(kpnode, $"#!/bin/sh\nexec dotnet '{typeof(NodeHost).Assembly.Location}' \"$@\"\n");
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(kpnode, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var run = "set -euo pipefail\nset -x\n"
                // Whatever happens, no node outlives the test.
                + "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
                + Regex.Replace(script, "(?m)^dotnet build .*$", ": README build step, provided by the test");
            var (exit, output) = await BashAsync(root.FullName, run, new Dictionary<string, string?> { ["COLUMNS"] = null }, TimeSpan.FromMinutes(5));
            Assert.True(exit == 0, output);

            Assert.Matches(@"(?m)^ZA-\d{4}-\d{6}  Delivered  ", output);
            Assert.Matches(@"(?m)^ZA-\d{4}-\d{6}  Received  ", output);
            Assert.Matches(@"ZA-\d{4}-\d{6} is now Confirmed", output);
            Assert.Matches(@"ZA-\d{4}-\d{6} is Voided", output);
            Assert.Contains("GENUINE", output);
            // The JSON API: a record read with curl, and a refused draft's field violations.
            Assert.Matches("\"number\":\"ZA-\\d{4}-\\d{6}\"", output);
            Assert.Contains("\"@type\":\"type.googleapis.com/google.rpc.BadRequest\",\"fieldViolations\":[{\"field\":\"", output);
            Assert.Contains("participant,period,flow,partner,hs_code", output);
            // The rotation: the root key never in the node's folder, the new key used by the running node.
            Assert.False(File.Exists(Path.Combine(root.FullName, "node-config", "pki", "za", "root.key")), "ZA's root key is not in the node's folder");
            Assert.Contains("Installed the new signing certificate of ZA", output);
            Assert.Contains("The node now uses 1 new certificate(s)", output);
            Assert.Single(Directory.GetFiles(Path.Combine(root.FullName, "node-config", "pki", "za", "retired"), "signing-*.crt"));
            Assert.Contains("Wrote revocation list 1", output);
            Assert.Contains("The node holds revocation list 1 and enforces it", output);
            // The EU's office: its certificate shown at ZA with the office that signed it, and confirmed by ZA.
            Assert.Matches(@"Issuing office\s+DE-IDAR-OBERSTEIN", output);
            Assert.Matches(@"DE-\d{4}-\d{6} is now Confirmed", output);
            Assert.Contains("DE-IDAR-OBERSTEIN", output[output.LastIndexOf("kpnode status --config node-config/eu.json", StringComparison.Ordinal)..]);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>The sh blocks of the README's by-hand section, in order.</summary>
    internal static List<string> ShBlocks(string readme) => ShBlocks(readme, Section);

    /// <summary>The sh blocks of one section of the README (from its "## " heading to the next), in order.</summary>
    internal static List<string> ShBlocks(string readme, string heading)
    {
        var start = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README has a section '{heading}'");
        var end = readme.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];
        return Regex.Matches(section, "```sh\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
    }

    private static void CopyNodeConfig(string from, string to)
    {
        // The configs and example drafts only: never a PKI or data folder someone made in their clone.
        foreach (var file in Directory.EnumerateFiles(from, "*.json", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}pki{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                 && !f.Contains($"{Path.DirectorySeparatorChar}data{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// Runs a script with bash in <paramref name="directory"/>, its output (both streams) kept; <paramref name="environment"/>
    /// sets variables (null removes one). A script that outlives <paramref name="timeout"/> is killed with its children.
    /// </summary>
    internal static async Task<(int Exit, string Output)> BashAsync(string directory, string script, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        // The operator a session chose is not the one the README's steps present.
        start.Environment.Remove("KPNODE_OPERATOR");
        foreach (var (name, value) in environment)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }
}
