using KpNode.Operations;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KpNode.Hosting;

/// <summary>The node's three listeners.</summary>
internal enum Listener
{
    /// <summary>Partners' nodes: the Peer API and health.</summary>
    Peer,

    /// <summary>Our own systems and operators: the Local and Operations APIs, reflection and health.</summary>
    Local,

    /// <summary>Plain HTTP for operators' tools: the status page and metrics.</summary>
    Operations,
}

/// <summary>Which listeners an endpoint is served on; any other listener does not see it at all.</summary>
internal sealed record ServedOn(params Listener[] Listeners);

/// <summary>Where each listener is bound, its port read once Kestrel has bound it (0 in the config means any free port).</summary>
internal sealed class NodeListeners(OperationsEndpoint operations)
{
    public ListenOptions? Peer { get; set; }

    public ListenOptions? Local { get; set; }

    public Listener? Of(int localPort) =>
        localPort == Peer?.IPEndPoint?.Port ? Listener.Peer
        : localPort == Local?.IPEndPoint?.Port ? Listener.Local
        : localPort == operations.Port ? Listener.Operations
        : null;
}

/// <summary>
/// Drops from routing every endpoint not served on the listener a request came in on, so that the gRPC fallback
/// answers Unimplemented (and plain HTTP 404) there, as if the service did not exist.
/// </summary>
internal sealed class ListenerPolicy(NodeListeners listeners) : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<ServedOn>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var listener = listeners.Of(httpContext.Connection.LocalPort);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && candidates[i].Endpoint.Metadata.GetMetadata<ServedOn>() is { } servedOn
                && (listener is null || !servedOn.Listeners.Contains(listener.Value)))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Marks endpoints with the listeners they are served on.</summary>
internal static class ListenerConventions
{
    public static TBuilder ServedOn<TBuilder>(this TBuilder builder, params Listener[] listeners)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ServedOn(listeners));
}
