using KpNode.Operations;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;
using Microsoft.Extensions.DependencyInjection;

namespace KpNode.Tests.Operations;

/// <summary>What the operations tests share: the operations endpoint of a node, restarts with changed config, external tools.</summary>
internal static class Ops
{
    public static readonly Google.Protobuf.JsonParser Json = new(Google.Protobuf.JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static string Url(TestNode node) => node.Host!.Services.GetRequiredService<OperationsEndpoint>().Url;

    public static async Task<GetNodeStatusResponse> StatusAsync(TestNode node) =>
        await node.Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());

    public static PartnerLink Partner(GetNodeStatusResponse status, string code) => status.Partners.Single(p => p.Participant == code);

    /// <summary>Waits (bounded) until the node's status satisfies <paramref name="done"/>.</summary>
    public static Task<GetNodeStatusResponse> WaitForStatusAsync(TestNode node, Func<GetNodeStatusResponse, bool> done, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => StatusAsync(node), done, timeout ?? TimeSpan.FromSeconds(20),
            last => $"{node.Code}'s status did not reach the expected state; last seen: {last}");

    /// <summary>
    /// Stops <paramref name="code"/>'s node and starts it again from the same file with <paramref name="overrides"/>
    /// (same ports and data); disposing the result stops that node, and the network checks its log.
    /// </summary>
    public static async Task<TestNode> RestartWithAsync(TestNetwork net, string code, IEnumerable<KeyValuePair<string, string?>> overrides,
        TimeProvider? time = null)
    {
        await net[code].StopAsync();
        var node = net.Another(code, overrides);
        await node.StartAsync(time);
        return node;
    }
}
