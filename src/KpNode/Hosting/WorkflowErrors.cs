using Grpc.Core;
using Grpc.Core.Interceptors;
using KpNode.Wire;
using KpNode.Workflow;

namespace KpNode.Hosting;

/// <summary>The one place workflow refusals become gRPC statuses; the message names the field and the rule.</summary>
internal sealed class WorkflowErrors : Interceptor
{
    public static StatusCode StatusFor(FailureKind kind) => kind switch
    {
        FailureKind.Invalid => StatusCode.InvalidArgument,
        FailureKind.NotFound => StatusCode.NotFound,
        FailureKind.Conflict => StatusCode.AlreadyExists,
        FailureKind.FailedPrecondition => StatusCode.FailedPrecondition,
        FailureKind.PermissionDenied => StatusCode.PermissionDenied,
        FailureKind.Unauthenticated => StatusCode.Unauthenticated,
        _ => StatusCode.Internal,
    };

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (WorkflowException e)
        {
            throw ApiErrors.Refuse(StatusFor(e.Kind), e.Message, e.Violations);
        }
    }
}
