using System.CommandLine;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Trust;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>The <c>kpnode</c> command line: one binary for the node and its operators.</summary>
internal static class KpNodeCli
{
    /// <param name="more">Verbs from folders above the CLI (the simulation), added by the executable's entry point.</param>
    public static async Task<int> RunAsync(string[] args, params Command[] more)
    {
        var root = new RootCommand("KpNode: a participant's node for exchanging signed Kimberley Process certificates with its trading partners.")
        {
            DemoCommand.Create(),
            RunCommand.Create(),
            PkiCommands.Create(),
            CertCommands.Create(),
            StatusCommand.Create(),
            StatsCommand.Create(),
            HealthCommand.Create(),
            OpenApiCommand.Create(),
            PeerCommands.Create(),
            ReconcileCommand.Create(),
            PartnerCommands.Create(),
            OutboxCommands.Create(),
            StoreCommands.Create(),
            EvidenceCommands.Verify(),
            AuditCommands.Create(),
            WatchCommand.Create(),
            BackupCommands.Backup(),
            BackupCommands.Restore(),
        };
        foreach (var command in more)
        {
            root.Add(command);
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            // The parser's own complaints (a missing --config, an unknown option) in the CLI's one spelling of errors.
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine("Error: " + error.Message);
            }

            var names = new List<string>();
            for (var result = parse.CommandResult; result.Command != root; result = (System.CommandLine.Parsing.CommandResult)result.Parent!)
            {
                names.Insert(0, result.Command.Name);
            }

            Console.Error.WriteLine($"See 'kpnode {string.Join(' ', [.. names, "--help"])}'.");
            return Failed;
        }

        return await parse.InvokeAsync();
    }

    /// <summary>Common options, so every command spells them the same way.</summary>
    internal static Option<FileInfo> ConfigOption() => new("--config", "-c")
    {
        Description = "The node's configuration file (e.g. node-config/za.json)",
        Required = true,
    };

    internal static Option<bool> JsonOption() => new("--json") { Description = "Print JSON for scripts instead of tables" };

    /// <summary>A whole-number option whose parse error says so in words (not "as expected type 'System.Int32'").</summary>
    internal static Option<int> WholeNumberOption(string name, string description, int defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value))
                return value;
            result.AddError($"{name}: '{text}' is not a whole number, e.g. {defaultValue}");
            return defaultValue;
        },
    };

    /// <summary>Exit code of a command that failed; the message on stderr says why.</summary>
    internal const int Failed = 1;

    /// <summary>Exit code when the configuration (or the PKI, or the data directory it names) cannot be used: nothing was done.</summary>
    internal const int ConfigurationUnusable = 2;

    /// <summary>
    /// Runs a command body, turning the failures a person can fix into one clear message, without a stack trace:
    /// exit code 2 for a configuration that cannot be used, 1 for any other failure.
    /// </summary>
    internal static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ConfigurationProblemException e)
        {
            return Fail(e.Message, ConfigurationUnusable);
        }
        catch (PkiFileException e)
        {
            return Fail(e.Message);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return Fail($"Cannot reach the node's Local API ({Inner(e)}). Is the node running? Start it with 'kpnode run --config FILE'.");
        }
        catch (RpcException e)
        {
            return Fail($"The node refused: {e.Status.Detail}");
        }
        catch (OperationCanceledException)
        {
            return Fail("Cancelled.");
        }
    }

    internal static int Fail(string message, int exitCode = Failed)
    {
        AnsiConsole.Console.Profile.Out.Writer.Flush();
        Console.Error.WriteLine("Error: " + message);
        return exitCode;
    }

    private static string Inner(RpcException e)
    {
        Exception? inner = e.Status.DebugException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner?.Message ?? e.Status.Detail;
    }
}
