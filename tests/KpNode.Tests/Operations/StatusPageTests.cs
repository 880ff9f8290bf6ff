using System.Net;
using System.Text.RegularExpressions;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Operations;

public sealed class StatusPageTests
{
    [Fact]
    public async Task The_status_page_in_a_browser_shows_partners_errors_explained_expiry_warnings_and_recent_certificates()
    {
        await ThirdPartyTools.RequireChromiumAsync();
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], [new("Node:Operations:ExpiryWarningDays", "400")]);
        var delivered = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", delivered.Certificate.Number, r => r.Status == CertificateStatus.Delivered);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        await Ops.WaitForStatusAsync(net["ZA"], s => Ops.Partner(s, "BE").LastErrorCause == DeliveryFailureCause.Unreachable);

        var dom = await Browser.DumpDomAsync(Ops.Url(net["ZA"]) + "/");
        var seen = Visible(dom);

        Assert.Contains("KpNode ZA", seen);
        Assert.Contains("Healthy", seen);
        // The partner row: unreachable, one waiting, the error and what to do.
        Assert.Contains("Partner: BE", seen);
        Assert.Contains("Reachable: no", seen);
        Assert.Contains("Backlog: 1", seen);
        Assert.Contains("unreachable: BE", seen);
        Assert.Contains("No connection to BE's node. Check that it is running", seen);
        // Expiry warnings, with advice.
        Assert.Contains("Certificates expiring", seen);
        Assert.Contains("operator certificate of ZA expires on", seen);
        Assert.Contains("Renew the operator certificate (no restart; partners need no change): run 'kpnode pki request --purpose operator --pki", seen);
        Assert.Contains("'kpnode pki reload --config", seen);
        // Counts and recent certificates.
        Assert.Contains("Status: Delivered Count: 1", seen);
        Assert.Contains("Status: Issued Count: 1", seen);
        Assert.Contains($"Number: {delivered.Certificate.Number}", seen);
        Assert.Contains($"Number: {waiting.Certificate.Number}", seen);

        // Refreshes itself, and nothing is loaded from elsewhere (no scripts, no external styles or images).
        Assert.Matches("<meta http-equiv=\"refresh\" content=\"15\">", dom);
        Assert.DoesNotMatch("<script|<link|src=|https?://(?!localhost|127\\.0\\.0\\.1)", Regex.Replace(dom, "<td[^>]*>.*?</td>", ""));
    }

    [Fact]
    public async Task The_status_page_renders_on_a_phone_screen_in_one_column()
    {
        await ThirdPartyTools.RequireChromiumAsync();
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var png = Path.Combine(net.Root, "status-phone.png");

        await Browser.ScreenshotAsync(Ops.Url(net["ZA"]) + "/", png, 390, 844);

        Assert.True(new FileInfo(png).Length > 1000, "chromium rendered the page to a PNG");
        using var http = new HttpClient();
        var html = await http.GetStringAsync(Ops.Url(net["ZA"]) + "/");
        // The phone's width is the layout width, and below 640 px each table row becomes a labelled block.
        Assert.Contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", html);
        Assert.Contains("@media (max-width:640px){table,tbody,tr,td{display:block", html);
    }

    /// <summary>The text a person sees, with the mobile layout's labels ("Partner: BE") as the CSS puts them.</summary>
    private static string Visible(string dom)
    {
        var text = Regex.Replace(dom, "<(style|title)[^>]*>.*?</\\1>", "", RegexOptions.Singleline);
        // td::before { content: attr(data-label) ": " } shows each cell's label on a small screen; the dump has no CSS, so add it here.
        text = Regex.Replace(text, "<td data-label=\"([^\"]*)\"[^>]*>", "$1: ");
        text = Regex.Replace(text, "<[^>]+>", " ");
        return Regex.Replace(WebUtility.HtmlDecode(text), "\\s+", " ");
    }
}

/// <summary>Headless Debian Chromium, started the way this machine allows (no background networking), bounded in time.</summary>
internal static class Browser
{
    private static string[] Flags(string profile) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
    ];

    public static async Task<string> DumpDomAsync(string url)
    {
        var profile = Profile();
        try
        {
            var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Chromium, [.. Flags(profile), "--dump-dom", url], TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0 && run.Stdout.Contains("</html>"), $"chromium failed ({run.ExitCode}): {run.Stderr}");
            return run.Stdout;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    public static async Task ScreenshotAsync(string url, string png, int width, int height)
    {
        var profile = Profile();
        try
        {
            var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Chromium,
                [.. Flags(profile), "--hide-scrollbars", $"--window-size={width},{height}", $"--screenshot={png}", url], TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0 && File.Exists(png), $"chromium failed ({run.ExitCode}): {run.Stderr}");
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static string Profile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kpnode-tests", "chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
