using System.Text.RegularExpressions;
using KpNode.Hosting;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Readme;

/// <summary>
/// The README's "Roles" block, run with bash against real nodes with four-eyes issuing: the deployment paths it names
/// (node.json, /srv/kpnode/config/pki, /media/usb/kp-root/root.key, node-config/examples) replaced by the test network's.
/// </summary>
public sealed class ReadmeRolesTests
{
    private const string Section = "### Roles";

    [Fact]
    public async Task The_roles_block_makes_two_officers_and_one_submits_what_the_other_approves_as_written()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(KpNodeProcess.RepoRoot(), "README.md"));
        var start = readme.IndexOf(Section, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README has a section '{Section}'");
        var block = Regex.Match(readme[start..], "```sh\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("kpnode cert approve", block, StringComparison.Ordinal);

        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], [new("Node:FourEyes:Issuing", "true")]);
        var work = Directory.CreateTempSubdirectory("kpnode-readme-roles-");
        try
        {
            var script = block
                .Replace("/srv/kpnode/config/pki", net.PkiDir("ZA"), StringComparison.Ordinal)
                .Replace("/media/usb/kp-root/root.key", Path.Combine(net.PkiDir("ZA"), "root.key"), StringComparison.Ordinal)
                .Replace("node-config/examples/", Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples") + "/", StringComparison.Ordinal)
                .Replace("--config node.json", $"--config {net["ZA"].Config.FilePath}", StringComparison.Ordinal);
            var bin = Directory.CreateDirectory(Path.Combine(work.FullName, "bin"));
            var kpnode = Path.Combine(bin.FullName, "kpnode");
            await File.WriteAllTextAsync(kpnode, $"#!/bin/sh\nexec dotnet '{typeof(NodeHost).Assembly.Location}' \"$@\"\n");
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(kpnode, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var (exit, output) = await ReadmeByHandTests.BashAsync(work.FullName, $"set -euo pipefail\nset -x\nexport PATH=\"{bin.FullName}:$PATH\"\n{script}\necho \"A=$A\"\n",
                new Dictionary<string, string?> { ["COLUMNS"] = "200" }, TimeSpan.FromMinutes(3));
            Assert.True(exit == 0, output);
            Assert.Matches("(?m)^A=AP-000001$", output);
            Assert.Matches(@"(?m)^AP-000001\s+issue\s+pending\s+N\. Dlamini \(n\.dlamini\)", output);
            var number = Regex.Match(output, @"Approved AP-000001: issued (ZA-\d{4}-\d{6}) to BE").Groups[1].Value;
            Assert.True(number.Length > 0, output);
            Assert.Contains("submitted by N. Dlamini (n.dlamini); approved by T. Mokoena (t.mokoena)", output, StringComparison.Ordinal);
            await net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
