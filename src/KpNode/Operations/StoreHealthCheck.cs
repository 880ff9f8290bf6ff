using KpNode.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KpNode.Operations;

/// <summary>
/// The health that grpc.health.v1 reports: the store answers a cheap indexed read and has not lost the
/// ability to make commits durable (a failed fsync). Anything else the node does depends on both.
/// </summary>
internal sealed class StoreHealthCheck(INodeStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            store.NextDueAt();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await store.FlushAsync(timeout.Token);
            return HealthCheckResult.Healthy("the store answers and its commits are durable");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the store is not usable: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
