using Grpc.Core;
using KpNode.Configuration;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace KpNode.Outbox;

/// <summary>
/// The Polly pipeline of one partner: total timeout, quick retries of transient failures only,
/// per-attempt timeout, and a circuit breaker tuned for a low-traffic trade link.
/// Seconds only: longer outages are the durable outbox's job.
/// </summary>
internal static class DeliveryPipeline
{
    /// <param name="onStateChanged">
    /// Told each change of the circuit; on opening, with the failure that opened it (null when the circuit was opened
    /// by hand), since the callers that then find it open only see "circuit open".
    /// </param>
    public static ResiliencePipeline Create(
        DeliveryOptions options, TimeProvider time, CircuitBreakerStateProvider state, CircuitBreakerManualControl control,
        Action<CircuitState, Exception?> onStateChanged)
    {
        var predicate = new PredicateBuilder()
            .Handle<RpcException>(e => IsTransient(e.StatusCode))
            .Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(options.WorstCaseDeliveryTime);
        if (options.QuickRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = predicate,
                MaxRetryAttempts = options.QuickRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.QuickRetryDelay,
                MaxDelay = options.QuickRetryDelay * 8,
            });
        }

        return builder
            .AddTimeout(options.AttemptTimeout)
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = predicate,
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
                StateProvider = state,
                ManualControl = control,
                OnOpened = args => Notify(CircuitState.Open, args.Outcome.Exception),
                OnHalfOpened = _ => Notify(CircuitState.HalfOpen),
                OnClosed = _ => Notify(CircuitState.Closed),
            })
            .Build();

        ValueTask Notify(CircuitState s, Exception? cause = null)
        {
            onStateChanged(s, cause);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Codes worth an immediate retry: the partner may answer a moment later. Anything else waits for the outbox.</summary>
    public static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;
}
