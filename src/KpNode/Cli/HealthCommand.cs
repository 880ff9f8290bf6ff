using System.CommandLine;
using Grpc.Core;
using Grpc.Health.V1;
using KpNode.Configuration;

namespace KpNode.Cli;

/// <summary><c>kpnode health</c>: asks the running node's grpc.health.v1 service; exit code 0 only when SERVING (for scripts and container health checks).</summary>
internal static class HealthCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var wait = KpNodeCli.WholeNumberOption("--wait", "Seconds to wait for a node that is still starting to become SERVING (0: ask once)", 0);
        var command = new Command("health", "Exit 0 when the running node reports SERVING on grpc.health.v1, 1 otherwise (for container health checks)") { config, wait };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(wait)));
            HealthCheckResponse response;
            while (true)
            {
                try
                {
                    response = await client.Health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + Timeout, cancellationToken: ct);
                    if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving || DateTime.UtcNow >= until)
                        break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && DateTime.UtcNow >= until)
                {
                    return KpNodeCli.Fail($"The node did not answer its health check within {Timeout.TotalSeconds:0} s ({client.Address}).");
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && DateTime.UtcNow < until)
                {
                    // Still starting: not listening yet.
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }

            if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                Console.Out.WriteLine("SERVING");
                return 0;
            }

            Console.Out.WriteLine(response.Status == HealthCheckResponse.Types.ServingStatus.NotServing ? "NOT_SERVING" : response.Status.ToString().ToUpperInvariant());
            return KpNodeCli.Fail("The node is running but not healthy; 'kpnode status' says why.");
        }));
        return command;
    }
}
