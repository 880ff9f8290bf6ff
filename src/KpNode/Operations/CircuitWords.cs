using KpNode.Wire.V1;
using PollyCircuit = Polly.CircuitBreaker.CircuitState;

namespace KpNode.Operations;

/// <summary>A partner lane's circuit breaker state, on the wire and in words: the one place that spells it.</summary>
internal static class CircuitWords
{
    public static CircuitState ToWire(PollyCircuit state) => state switch
    {
        PollyCircuit.Closed => CircuitState.Closed,
        PollyCircuit.Open => CircuitState.Open,
        PollyCircuit.HalfOpen => CircuitState.HalfOpen,
        PollyCircuit.Isolated => CircuitState.Isolated,
        _ => CircuitState.Unspecified,
    };

    /// <summary>What an operator reads, in <c>kpnode status</c> and on the status page.</summary>
    public static string Words(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open (pausing)",
        CircuitState.HalfOpen => "half-open (trying)",
        CircuitState.Isolated => "isolated",
        _ => "-",
    };

    /// <summary>The name the Local API's GetStatus has always given (PartnerStatus.circuit_state is a string).</summary>
    public static string Name(CircuitState state) => state switch
    {
        CircuitState.Closed => "Closed",
        CircuitState.Open => "Open",
        CircuitState.HalfOpen => "HalfOpen",
        CircuitState.Isolated => "Isolated",
        _ => "",
    };

    /// <summary>The Prometheus label value of kpnode_partner_circuit_state.</summary>
    public static string MetricLabel(PollyCircuit state) => state switch
    {
        PollyCircuit.Closed => "closed",
        PollyCircuit.HalfOpen => "half_open",
        PollyCircuit.Open => "open",
        _ => "isolated",
    };
}
