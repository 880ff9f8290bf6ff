using Microsoft.Extensions.Options;

namespace KpNode.Configuration;

/// <summary>Checks the "Node:Delivery" section's timings and limits.</summary>
internal sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var problems = Check(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> Check(DeliveryOptions d)
    {
        static string K(string key) => ConfigKeys.Key(ConfigKeys.Delivery, key);
        if (d.AttemptTimeout <= TimeSpan.Zero) yield return $"{K("AttemptTimeout")}: must be positive";
        if (d.QuickRetries is < 0 or > 10) yield return $"{K("QuickRetries")}: must be 0..10";
        if (d.QuickRetryDelay <= TimeSpan.Zero) yield return $"{K("QuickRetryDelay")}: must be positive";
        if (d.FirstBackoff <= TimeSpan.Zero) yield return $"{K("FirstBackoff")}: must be positive";
        if (d.ProbeInterval < TimeSpan.FromMilliseconds(200)) yield return $"{K("ProbeInterval")}: must be at least 0.2 s";
        if (d.MaxBackoff < d.FirstBackoff) yield return $"{K("MaxBackoff")}: must be at least FirstBackoff";
        if (d.MaxInFlightPerPartner is < 1 or > 256) yield return $"{K("MaxInFlightPerPartner")}: must be 1..256";
        if (d.BacklogPageSize is < 1 or > 10_000) yield return $"{K("BacklogPageSize")}: must be 1..10000";
        if (d.BreakerMinimumThroughput < 2) yield return $"{K("BreakerMinimumThroughput")}: must be at least 2";
        if (d.BreakerFailureRatio is <= 0 or > 1) yield return $"{K("BreakerFailureRatio")}: must be in (0, 1]";
        if (d.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500)) yield return $"{K("BreakerSamplingDuration")}: must be at least 0.5 s";
        if (d.BreakerBreakDuration < TimeSpan.FromMilliseconds(500)) yield return $"{K("BreakerBreakDuration")}: must be at least 0.5 s";
        if (d.ResetThrottle < TimeSpan.Zero) yield return $"{K("ResetThrottle")}: must not be negative";
        if (d.RecentContactWindow < TimeSpan.Zero) yield return $"{K("RecentContactWindow")}: must not be negative";
        if (d.LaneErrorDelay <= TimeSpan.Zero) yield return $"{K("LaneErrorDelay")}: must be positive";
        if (d.MaxMessagesPerPass < 1) yield return $"{K("MaxMessagesPerPass")}: must be at least 1";
        if (d.ExpiryCheckBatchSize is < 1 or > 10_000) yield return $"{K("ExpiryCheckBatchSize")}: must be 1..10000";
    }
}
