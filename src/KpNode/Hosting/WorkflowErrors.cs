using Grpc.Core;
using Grpc.Core.Interceptors;
using KpNode.Integrity;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Workflow;

namespace KpNode.Hosting;

/// <summary>
/// The one place workflow refusals become gRPC statuses; the message names the field and the rule. A damaged store
/// record a call touched is refused as DATA_LOSS naming it, and reported once to <see cref="StoreIntegrity"/>.
/// </summary>
internal sealed class WorkflowErrors(StoreIntegrity integrity, ILogger<WorkflowErrors> logger) : Interceptor
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
        catch (DamagedRecordException e)
        {
            if (integrity.Report(e))
                Diagnostics.Log.DamagedRecord(logger, e);
            throw ApiErrors.Refuse(e.Unverifiable ? StatusCode.FailedPrecondition : StatusCode.DataLoss,
                e.Message + (e.Unverifiable ? "" : "; nothing is served from it until the store is rebuilt ('kpnode store check')"));
        }
    }
}
