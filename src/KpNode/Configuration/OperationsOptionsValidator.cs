using Microsoft.Extensions.Options;

namespace KpNode.Configuration;

/// <summary>Checks the "Node:Operations" section: the operations endpoint, expiry warnings, log format, page refresh, store check sample.</summary>
internal sealed class OperationsOptionsValidator : IValidateOptions<OperationsOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsOptions options)
    {
        var problems = Check(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static string LogFormatProblem(string value) =>
        $"{ConfigKeys.Key(ConfigKeys.Operations, "LogFormat")}: '{value}' is not one of simple, json";

    public static IEnumerable<string> Check(OperationsOptions ops)
    {
        static string K(string key) => ConfigKeys.Key(ConfigKeys.Operations, key);
        if (!ListenAddress.TryParse(ops.Endpoint, out _)) yield return ListenAddress.Problem(K("Endpoint"), ops.Endpoint);
        if (ops.ExpiryWarningDays is < 0 or > 3650) yield return $"{K("ExpiryWarningDays")}: {ops.ExpiryWarningDays} is outside 0..3650";
        if (!Enum.IsDefined(ops.LogFormat)) yield return LogFormatProblem(ops.LogFormat.ToString());
        if (ops.RefusedHandshakeLogWindow <= TimeSpan.Zero || ops.RefusedHandshakeLogWindow > TimeSpan.FromDays(1))
            yield return $"{K("RefusedHandshakeLogWindow")}: {ops.RefusedHandshakeLogWindow} is outside 00:00:01..1.00:00:00";
        if (ops.StatusPageRefreshSeconds is < 1 or > 3600) yield return $"{K("StatusPageRefreshSeconds")}: {ops.StatusPageRefreshSeconds} is outside 1..3600";
        if (ops.StoreCheckSample < 0) yield return $"{K("StoreCheckSample")}: {ops.StoreCheckSample} is negative; 0 checks every record";
        if (ops.MaxClockSkew < TimeSpan.Zero || ops.MaxClockSkew > TimeSpan.FromHours(1))
            yield return $"{K("MaxClockSkew")}: {ops.MaxClockSkew} is outside 00:00:00..01:00:00";
        if (ops.PreflightInterval < TimeSpan.FromSeconds(1) || ops.PreflightInterval > TimeSpan.FromDays(7))
            yield return $"{K("PreflightInterval")}: {ops.PreflightInterval} is outside 00:00:01..7.00:00:00";
        if (ops.PreflightRetryDelay < TimeSpan.FromMilliseconds(100) || ops.PreflightRetryDelay > TimeSpan.FromDays(1))
            yield return $"{K("PreflightRetryDelay")}: {ops.PreflightRetryDelay} is outside 00:00:00.1..1.00:00:00";
        if (ops.ReconcileInterval < TimeSpan.FromMinutes(1) || ops.ReconcileInterval > TimeSpan.FromDays(31))
            yield return $"{K("ReconcileInterval")}: {ops.ReconcileInterval} is outside 00:01:00..31.00:00:00";
    }
}
