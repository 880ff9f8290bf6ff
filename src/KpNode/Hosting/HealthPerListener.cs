using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using KpNode.Wire;

namespace KpNode.Hosting;

/// <summary>
/// The health service is one service on two listeners: the Peer port reports only on the whole node ("") and the
/// Peer API, saying nothing to partners about the Local and Operations APIs; our operators on the Local port see all.
/// </summary>
internal sealed class HealthPerListener(NodeListeners listeners) : Interceptor
{
    private static readonly string[] OnPeer = ["", "kp.v1.PeerExchangeService"];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Require(request, context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Require(request, context);
        return continuation(request, responseStream, context);
    }

    private void Require<TRequest>(TRequest request, ServerCallContext context)
    {
        if (request is HealthCheckRequest { Service: var service }
            && listeners.Of(context.GetHttpContext().Connection.LocalPort) == Listener.Peer && !OnPeer.Contains(service))
        {
            // What grpc.health.v1 answers for a service the server does not know.
            throw ApiErrors.Refuse(StatusCode.NotFound, $"{service} is not served on this endpoint");
        }
    }
}
