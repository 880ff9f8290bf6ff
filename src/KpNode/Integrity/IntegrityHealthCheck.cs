using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KpNode.Integrity;

/// <summary>Health says NOT_SERVING while the store holds a record known to be damaged, naming the first ones.</summary>
internal sealed class IntegrityHealthCheck(StoreIntegrity integrity) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = integrity.State;
        return Task.FromResult(state.Intact
            ? HealthCheckResult.Healthy(state.Check is { Finished: true } ? "every record verified at start" : "no damaged record found so far")
            : HealthCheckResult.Unhealthy(state.Describe()));
    }
}
