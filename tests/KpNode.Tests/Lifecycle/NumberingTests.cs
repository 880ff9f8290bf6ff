using Grpc.Core;
using KpNode.Tests.Exchange;

namespace KpNode.Tests.Lifecycle;

public sealed class NumberingTests
{
    [Fact]
    public async Task An_assigned_number_steps_over_one_a_user_chose_ahead_of_the_sequence_and_a_chosen_number_is_never_reused()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var first = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        Assert.EndsWith("-000001", first);
        var chosen = first[..^1] + "2";

        Assert.Equal(chosen, (await net.IssueAsync("ZA", "BE", d => d.Number = chosen)).Certificate.Number);
        Assert.Equal(first[..^1] + "3", (await net.IssueAsync("ZA", "BE")).Certificate.Number);

        var e = await Assert.ThrowsAsync<RpcException>(() => net.IssueAsync("ZA", "BE", d => d.Number = chosen));
        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Contains($"number: certificate {chosen} already exists", e.Status.Detail);
    }
}
