using System.CommandLine;
using KpNode.LocalApi;

namespace KpNode.Cli;

/// <summary><c>kpnode openapi</c>: the Local API's OpenAPI document, without a node, for a national system's client generator.</summary>
internal static class OpenApiCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the document to this file instead of standard output" };
        var command = new Command("openapi", $"Print the OpenAPI document of the Local API's JSON/HTTP routes (a running node serves it at {JsonApi.OpenApiPath})") { output };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var document = JsonApi.OpenApiDocument();
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, document, ct);
                Console.Error.WriteLine($"Wrote the OpenAPI document of the Local API to {file.FullName}.");
            }
            else
            {
                await Console.Out.WriteAsync(document);
            }

            return 0;
        }));
        return command;
    }
}
