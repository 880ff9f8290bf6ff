using Grpc.Core;
using KpNode.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Events;

/// <summary>A client of a node's event stream over the real Local API (mTLS, operator certificate), read with a bound.</summary>
internal sealed class Watcher : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    // A connection of its own: the node's shared client is closed when the test stops the node, which would end this
    // call from our side rather than show what the node says.
    private readonly LocalApiClient _client;
    private readonly AsyncServerStreamingCall<WatchEventsResponse> _call;

    public Watcher(TestNode node, string afterCursor = "")
    {
        _client = LocalApiClient.Connect(node.Config);
        _call = _client.Events.WatchEvents(new WatchEventsRequest { AfterCursor = afterCursor });
    }

    /// <summary>Every event read so far, in the order the stream gave them.</summary>
    public List<NodeEvent> Read { get; } = [];

    /// <summary>Reads until an event satisfies <paramref name="until"/> (bounded); returns the events read by this call, that one included.</summary>
    public async Task<List<NodeEvent>> ReadUntilAsync(Func<NodeEvent, bool> until, string what)
    {
        using var bound = new CancellationTokenSource(Bound);
        var batch = new List<NodeEvent>();
        try
        {
            while (await _call.ResponseStream.MoveNext(bound.Token))
            {
                var e = _call.ResponseStream.Current.Event;
                batch.Add(e);
                Read.Add(e);
                if (until(e))
                    return batch;
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && bound.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"the stream gave no event that {what} within {Bound.TotalSeconds} s; it gave: "
            + string.Join("; ", batch.Select(e => $"{e.Cursor} {e.Kind} {e.CertificateNumber} {e.Partner}")));
    }

    /// <summary>Reads the next event and expects the stream to fail instead; returns the failure.</summary>
    public async Task<RpcException> FailureAsync()
    {
        using var bound = new CancellationTokenSource(Bound);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await _call.ResponseStream.MoveNext(bound.Token))
                Read.Add(_call.ResponseStream.Current.Event);
        });
        Assert.False(bound.IsCancellationRequested, "the stream neither failed nor ended within the bound");
        return e;
    }

    /// <summary>Hangs up, as a client that goes away does.</summary>
    public void Dispose()
    {
        _call.Dispose();
        _client.Dispose();
    }
}
