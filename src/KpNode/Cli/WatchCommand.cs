using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode watch</c>: the node's events as they happen (certificates received, delivered, confirmed…), one line each, or one JSON object per line.</summary>
internal static class WatchCommand
{
    // One object per line, so a script reads the stream line by line.
    private static readonly JsonFormatter OneLine = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var after = new Option<string>("--after")
        {
            Description = "Only events after this cursor (the last one a previous watch printed, see --json); default: every event from the first",
        };
        var count = KpNodeCli.WholeNumberOption("--count", "Exit (0) after this many events; 0 (the default) watches until Ctrl-C", 0);
        var command = new Command("watch", "Print the node's events as they happen: certificates received, delivered, rejected, confirmed, voided, expired or "
            + "undeliverable, partner links down and up, revocation lists received; --json prints one object per line with its cursor, to resume with --after")
        {
            config, after, count, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(new Dictionary<string, string>(StringComparer.Ordinal) { ["afterCursor"] = "--after" }, async () =>
        {
            var configFile = parse.GetRequiredValue(config).FullName;
            var limit = parse.GetValue(count);
            if (limit < 0)
                return KpNodeCli.Fail($"--count: {limit} is negative; give a number of events, or 0 to watch until Ctrl-C");
            var nodeConfig = NodeConfig.Load(configFile);
            var asJson = parse.GetValue(json);
            var last = parse.GetValue(after) ?? "";
            using var client = LocalApiClient.Connect(nodeConfig);
            if (!asJson)
                Console.Error.WriteLine($"Watching the events of {nodeConfig.Participant} (times in UTC){(last.Length > 0 ? $" after cursor {last}" : "")}; Ctrl-C to stop.");

            var seen = 0;
            try
            {
                using var call = client.Events.WatchEvents(new WatchEventsRequest { AfterCursor = last }, cancellationToken: ct);
                await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
                {
                    var e = response.Event;
                    if (asJson)
                        Console.Out.WriteLine(Printable.Of(OneLine.Format(e), int.MaxValue));
                    else
                        Print(e);
                    Console.Out.Flush();
                    last = e.Cursor;
                    if (limit > 0 && ++seen == limit)
                        return 0;
                }

                return NodeWentAway("the node ended the stream", configFile, last);
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                return 0; // Ctrl-C: the person stopped watching
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled)
            {
                return NodeWentAway(e.Status.Detail, configFile, last);
            }
        })));
        return command;
    }

    private static int NodeWentAway(string why, string configFile, string last) =>
        KpNodeCli.Fail($"The node went away ({Printable.Of(why, 200)}). Once it runs again ('kpnode status --config {configFile}'), "
            + $"go on with 'kpnode watch --config {configFile}{(last.Length > 0 ? $" --after {last}" : "")}': no event is missed or repeated.");

    /// <summary>One event as a line that fits the terminal (80 columns in a pipe): time, kind, certificate, partner, then the text, cut if it must be.</summary>
    internal static string Line(NodeEvent e, int width)
    {
        var time = e.Time?.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
        var head = $"{time}  {Word(e.Kind),-13} {(e.CertificateNumber.Length > 0 ? e.CertificateNumber + " " : "")}{(e.Partner.Length > 0 ? e.Partner + " " : "")}";
        var text = Printable.Of(e.Text);
        var room = Math.Max(10, width - head.Length);
        return head + (text.Length > room ? text[..(room - 1)] + "…" : text);
    }

    private static void Print(NodeEvent e)
    {
        var width = Output.TerminalWidth;
        var line = Line(e, width ?? 80);
        if (width is null)
            Console.Out.WriteLine(line);
        else
            AnsiConsole.MarkupLine($"[{Colour(e.Kind)}]{Markup.Escape(line)}[/]");
    }

    /// <summary>The kind in one word or two, as the line shows it.</summary>
    internal static string Word(EventKind kind) => kind switch
    {
        EventKind.CertificateReceived => "received",
        EventKind.CertificateDelivered => "delivered",
        EventKind.CertificateRejected => "rejected",
        EventKind.CertificateConfirmed => "confirmed",
        EventKind.CertificateVoided => "voided",
        EventKind.CertificateExpired => "expired",
        EventKind.CertificateUndeliverable => "undeliverable",
        EventKind.PartnerLinkDown => "link down",
        EventKind.PartnerLinkUp => "link up",
        EventKind.RevocationReceived => "revocation",
        _ => "event",
    };

    private static string Colour(EventKind kind) => kind switch
    {
        EventKind.CertificateReceived or EventKind.CertificateDelivered or EventKind.CertificateConfirmed or EventKind.PartnerLinkUp => "green",
        EventKind.CertificateRejected or EventKind.CertificateUndeliverable or EventKind.PartnerLinkDown => "red",
        EventKind.CertificateVoided or EventKind.CertificateExpired or EventKind.RevocationReceived => "orange3",
        _ => "default",
    };
}
