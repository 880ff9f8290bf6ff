using KpNode.Domain;
using Microsoft.Extensions.Options;

namespace KpNode.Configuration;

/// <summary>Checks the "Node:TradePolicy" section: every refused origin is an ISO 3166-1 code.</summary>
internal sealed class TradePolicyOptionsValidator : IValidateOptions<TradePolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, TradePolicyOptions options)
    {
        var problems = CheckOrigins(ConfigKeys.Key(ConfigKeys.TradePolicy, "RefusedOrigins"), options.RefusedOrigins).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> CheckOrigins(string key, List<string> origins)
    {
        for (var i = 0; i < origins.Count; i++)
        {
            if (!Iso3166.IsAssigned(origins[i]))
            {
                yield return $"{key}:{i}: '{origins[i]}' is not an ISO 3166-1 alpha-2 country code";
            }
        }
    }
}
