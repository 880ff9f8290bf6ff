using System.Diagnostics;

namespace KpNode.Bench.Common;

/// <summary>A set of measured durations in milliseconds, summarised by percentiles (nearest rank).</summary>
internal sealed class Latencies
{
    private readonly List<double> _ms = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
                return _ms.Count;
        }
    }

    public void Add(double milliseconds)
    {
        lock (_gate)
            _ms.Add(milliseconds);
    }

    public void AddTicks(long stopwatchTicks) => Add(stopwatchTicks * 1000.0 / Stopwatch.Frequency);

    public double Percentile(double p)
    {
        lock (_gate)
        {
            if (_ms.Count == 0)
                return double.NaN;
            var sorted = _ms.Order().ToArray();
            var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }

    public double Max()
    {
        lock (_gate)
            return _ms.Count == 0 ? double.NaN : _ms.Max();
    }

    public LatencySummary Summary() => new(Count, Percentile(50), Percentile(95), Percentile(99), Max());
}

/// <summary>Percentiles of one measurement, in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public override string ToString() => $"p50 {P50Ms:0.00} ms, p95 {P95Ms:0.00} ms, p99 {P99Ms:0.00} ms, max {MaxMs:0.00} ms (n={Count})";
}
