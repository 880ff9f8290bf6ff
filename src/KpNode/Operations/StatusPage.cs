using System.Globalization;
using System.Net;
using System.Text;
using KpNode.Wire.V1;

namespace KpNode.Operations;

/// <summary>
/// The read-only status page: the same report as <c>kpnode status</c> as one self-contained HTML document
/// (inline CSS, no scripts or external assets), reloading itself, readable on a phone.
/// </summary>
internal static class StatusPage
{
    public static string Render(GetNodeStatusResponse s, int refreshSeconds)
    {
        var now = s.Now.ToDateTimeOffset();
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="{{refreshSeconds}}">
            <title>KpNode {{E(s.Participant)}} status</title>
            <style>
            body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:12px;color:#1b1b1b;background:#f6f6f4}
            h1{font-size:1.3em;margin:0 0 4px} h2{font-size:1.05em;margin:18px 0 6px}
            .meta{color:#555} .ok{color:#176f2c} .bad{color:#b3261e;font-weight:600} .warn{color:#8a5300;font-weight:600}
            .banner{padding:8px 10px;border-radius:6px;margin:10px 0} .banner.bad{background:#fde7e5} .banner.warn{background:#fff1d6}
            table{border-collapse:collapse;width:100%;background:#fff} th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #ddd;vertical-align:top}
            th{background:#eceae4} .advice{color:#444;font-size:.93em}
            @media (max-width:640px){table,tbody,tr,td{display:block;width:auto} thead{display:none} tr{margin-bottom:10px;border:1px solid #ddd}
            td{border:0;padding:3px 8px} td::before{content:attr(data-label) ": ";font-weight:600;color:#555} }
            </style>
            </head>
            <body>
            <h1>KpNode {{E(s.Participant)}}</h1>
            <div class="meta">kpnode {{E(s.Version)}} · up {{Uptime(now - s.StartedAt.ToDateTimeOffset())}} · store {{s.StoreSizeBytes / 1024.0:F0}} KiB · as of {{now:yyyy-MM-dd HH:mm:ss}} UTC · refreshes every {{refreshSeconds}} s</div>

            """);
        html.Append(s.Healthy
            ? "<p class=\"ok\" id=\"health\">Healthy: the store answers and commits are durable.</p>\n"
            : $"<div class=\"banner bad\" id=\"health\">Not healthy: {E(s.HealthDetail)}</div>\n");
        if (s.SigningCertificateRevoked.Length > 0)
            html.Append($"<div class=\"banner bad\" id=\"signing-revoked\">Our signing certificate is revoked: {E(s.SigningCertificateRevoked)}</div>\n");
        if (s.RecordsSignedByRevokedKeys > 0)
            html.Append($"<div class=\"banner warn\" id=\"revoked-signatures\">{s.RecordsSignedByRevokedKeys} message(s) held were signed by a revoked key: kept, no longer proof ('kpnode cert show' marks them).</div>\n");

        var warnings = s.Credentials.Where(c => c.Warning).ToList();
        if (warnings.Count > 0)
        {
            html.Append("<div class=\"banner warn\" id=\"expiry-warnings\"><strong>Certificates expiring</strong><ul>\n");
            foreach (var c in warnings)
            {
                html.Append($"<li>{E(Kind(c.Kind))} of {E(c.Owner)} {(c.DaysLeft < 0 ? "expired" : "expires")} on {c.NotAfter.ToDateTime():yyyy-MM-dd} ({Days(c.DaysLeft)}). <span class=\"advice\">{E(c.Advice)}</span></li>\n");
            }

            html.Append("</ul></div>\n");
        }

        html.Append("<h2>Partners</h2>\n<table id=\"partners\"><thead><tr><th>Partner</th><th>Reachable</th><th>Circuit</th><th>Backlog</th><th>Oldest pending</th><th>Last success</th><th>Last error and what to do</th></tr></thead><tbody>\n");
        foreach (var p in s.Partners)
        {
            var reach = p.Reachability switch
            {
                PartnerReachability.Reachable => "<span class=\"ok\">yes</span>",
                PartnerReachability.Unreachable => "<span class=\"bad\">no</span>",
                _ => "not yet known",
            };
            var error = p.LastError.Length == 0
                ? "<span class=\"ok\">none</span>"
                : $"<span class=\"bad\">{E(p.LastError)}</span><br><span class=\"advice\">{E(p.LastErrorAdvice)}</span>";
            // Mismatches the pre-flight hello found, before any message fails on them.
            error += string.Concat(p.PreflightProblems.Select(x => $"<br><span class=\"bad\">Pre-flight: {E(x.Cause)}</span><br><span class=\"advice\">{E(x.Advice)}</span>"));
            if (p.ReconciledAt is not null)
            {
                error += p.HistoryMatchesThrough.Length > 0
                    ? $"<br><span class=\"ok\">History matches through {E(p.HistoryMatchesThrough)}</span>"
                    : $"<br><span class=\"bad\">History differs: {E(p.HistoryDifferences.FirstOrDefault() ?? "")}</span>";
            }
            html.Append($"<tr><td data-label=\"Partner\"><strong>{E(p.Participant)}</strong><br><span class=\"meta\">{E(p.Address)}</span></td>"
                + $"<td data-label=\"Reachable\">{reach}</td><td data-label=\"Circuit\">{E(Circuit(p.CircuitState))}</td>"
                + $"<td data-label=\"Backlog\">{p.Backlog}</td><td data-label=\"Oldest pending\">{Ago(p.OldestPendingAt, now)}</td>"
                + $"<td data-label=\"Last success\">{Ago(p.LastSuccessAt, now)}</td><td data-label=\"Last error\">{error}</td></tr>\n");
        }

        html.Append("</tbody></table>\n<h2>Certificates</h2>\n<table id=\"counts\"><thead><tr><th>Status</th><th>Count</th></tr></thead><tbody>\n");
        foreach (var c in s.CertificateCounts.Where(c => c.Count > 0))
        {
            html.Append($"<tr><td data-label=\"Status\">{E(StatusName(c.Status))}</td><td data-label=\"Count\">{c.Count.ToString("N0", CultureInfo.InvariantCulture)}</td></tr>\n");
        }

        html.Append($"<tr><td data-label=\"Status\"><strong>Total</strong></td><td data-label=\"Count\">{s.CertificateCounts.Sum(c => c.Count).ToString("N0", CultureInfo.InvariantCulture)}</td></tr>\n</tbody></table>\n");
        if (s.Offices.Count > 0)
        {
            html.Append("<h2>Offices</h2>\n<table id=\"offices\"><thead><tr><th>Office</th><th>Authority</th><th>Prefix</th><th>Issued</th><th>By status</th></tr></thead><tbody>\n");
            foreach (var o in s.Offices)
            {
                var byStatus = string.Join(", ", o.CertificateCounts.Where(c => c.Count > 0).Select(c => $"{StatusName(c.Status)} {c.Count.ToString("N0", CultureInfo.InvariantCulture)}"));
                html.Append($"<tr><td data-label=\"Office\"><strong>{E(o.Office)}</strong></td><td data-label=\"Authority\">{E(o.ExportingAuthority)}</td>"
                    + $"<td data-label=\"Prefix\">{E(o.NumberPrefix)}</td><td data-label=\"Issued\">{o.CertificateCounts.Sum(c => c.Count).ToString("N0", CultureInfo.InvariantCulture)}</td>"
                    + $"<td data-label=\"By status\">{E(byStatus.Length == 0 ? "none yet" : byStatus)}</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        html.Append("<h2>Recent certificates</h2>\n");
        if (s.RecentCertificates.Count == 0)
        {
            html.Append("<p class=\"meta\">No certificates yet.</p>\n");
        }
        else
        {
            html.Append("<table id=\"recent\"><thead><tr><th>Number</th><th>Direction</th><th>Partner</th><th>Status</th><th>Changed</th></tr></thead><tbody>\n");
            foreach (var r in s.RecentCertificates)
            {
                var reason = r.StatusReason.Length > 0 ? $"<br><span class=\"advice\">{E(r.StatusReason)}</span>" : "";
                html.Append($"<tr><td data-label=\"Number\">{E(r.Number)}</td><td data-label=\"Direction\">{(r.Direction == CertificateDirection.Outbound ? "issued to" : "received from")}</td>"
                    + $"<td data-label=\"Partner\">{E(r.Partner)}</td><td data-label=\"Status\">{E(StatusName(r.Status))}{reason}</td><td data-label=\"Changed\">{Ago(r.UpdatedAt, now)}</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        html.Append("<h2>Certificate expiry</h2>\n<table id=\"expiry\"><thead><tr><th>Certificate</th><th>Owner</th><th>Expires</th><th>Days left</th></tr></thead><tbody>\n");
        foreach (var c in s.Credentials)
        {
            html.Append($"<tr><td data-label=\"Certificate\">{E(Kind(c.Kind))}</td><td data-label=\"Owner\">{E(c.Owner)}</td>"
                + $"<td data-label=\"Expires\">{c.NotAfter.ToDateTime():yyyy-MM-dd}</td><td data-label=\"Days left\"{(c.Warning ? " class=\"warn\"" : "")}>{c.DaysLeft}</td></tr>\n");
        }

        html.Append($"</tbody></table>\n<p class=\"meta\">Warnings from {s.ExpiryWarningDays} days before expiry. Prometheus metrics: <a href=\"/metrics\">/metrics</a>.</p>\n</body>\n</html>\n");
        return html.ToString();
    }

    public static string Kind(CredentialKind kind) => kind switch
    {
        CredentialKind.Root => "root CA certificate",
        CredentialKind.NodeTls => "node TLS certificate",
        CredentialKind.DocumentSigning => "document-signing certificate",
        CredentialKind.Operator => "operator certificate",
        CredentialKind.PartnerRoot => "partner root certificate",
        _ => "certificate",
    };

    public static string Circuit(CircuitState state) => CircuitWords.Words(state);

    public static string StatusName(Wire.V1.CertificateStatus status) => Wire.StatusMapping.Name(status);

    public static string Uptime(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays} d {t.Hours} h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : $"{(int)t.TotalMinutes} min {t.Seconds} s";

    private static string Days(int days) => days < 0 ? $"{-days} days ago" : days == 1 ? "1 day left" : $"{days} days left";

    private static string Ago(Google.Protobuf.WellKnownTypes.Timestamp? t, DateTimeOffset now)
    {
        if (t is null)
        {
            return "-";
        }

        var at = t.ToDateTimeOffset();
        return $"{at:yyyy-MM-dd HH:mm:ss} UTC ({Uptime(now - at)} ago)";
    }

    // HtmlEncode leaves bidi overrides and control characters as they are: escaped visibly first.
    private static string E(string text) => WebUtility.HtmlEncode(Domain.Printable.Of(text));
}
