using Grpc.Core;
using Grpc.Core.Interceptors;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.LocalApi;
using KpNode.Trust;
using KpNode.Wire;

namespace KpNode.Hosting;

/// <summary>
/// The one place an operator's roles are enforced: every call of a Local service, over gRPC or JSON, is refused with
/// PERMISSION_DENIED unless the operator's certificate grants one of the roles <see cref="MethodRoles"/> names for it.
/// </summary>
internal sealed class RoleCheck(ILogger<RoleCheck> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Require(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Require(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Require(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Require(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Require(ServerCallContext context)
    {
        // Partners' calls (Peer services, health on the Peer port) are not in the table; their policy guards them.
        if (MethodRoles.For(context.Method) is not { } required)
            return;

        var user = context.GetHttpContext().User;
        var op = user.Operator()
            ?? throw ApiErrors.Refuse(StatusCode.PermissionDenied, "the Local API serves this participant's operators only");
        var granted = user.OperatorRoles();
        if (required.Any(granted.Contains))
            return;

        var method = MethodRoles.ShortName(context.Method);
        var needs = required.Count switch
        {
            0 => "a role no operator has (it is missing from the table of roles: report this)",
            1 => $"the role {OperatorRoles.Describe(required)}",
            _ => $"one of the roles {OperatorRoles.Describe(required)}",
        };
        var grants = granted.Count == 0 ? "no role" : OperatorRoles.Describe(granted);
        Log.RoleRefused(logger, method, op.AuditName, OperatorRoles.Describe(required), grants);
        throw ApiErrors.RoleRequired(
            $"{method} needs {needs}; the certificate of {op.Id} grants {grants}"
                + (required.Count == 0 ? "" : $"; ask for an operator certificate naming it ('kpnode pki request --purpose operator --role {OperatorRoles.Name(required[0])}')"),
            method, required.Select(OperatorRoles.Name), granted.Select(OperatorRoles.Name));
    }
}
