using Grpc.Core;
using Grpc.Core.Interceptors;
using KpNode.Exchange;
using KpNode.Workflow;

namespace KpNode.PeerApi;

/// <summary>On the Peer API, any call of a partner tells its outbox lane the partner is up, before the call is served.</summary>
internal sealed class PartnerContact(IDeliverySignal delivery) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Seen(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Seen(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Seen(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Seen(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Seen(ServerCallContext context)
    {
        var user = context.GetHttpContext().User;
        if (user.IsPartnerNode() && user.Participant() is { } partner)
        {
            delivery.PartnerSeen(partner);
        }
    }
}
