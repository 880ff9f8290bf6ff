namespace KpNode.Diagnostics;

/// <summary>
/// Refused TLS handshakes, logged so that a flood cannot fill the log or hide what matters in it: per endpoint and
/// source address, the first few of a window are logged in detail, the rest counted by reason and summed up in one
/// line when the window ends.
/// </summary>
internal sealed class HandshakeRefusals : IDisposable
{
    /// <summary>Refusals per endpoint and source logged in detail in each window; the rest are counted.</summary>
    public const int DetailedPerWindow = 3;

    // Distinct reasons counted per source and window; a flood of ever-new reasons is counted as "other reasons".
    private const int MaxReasons = 10;

    // The remote address of the connection whose handshake runs on this flow, set by the listener before TLS starts.
    private static readonly AsyncLocal<string?> CurrentSource = new();

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Endpoint, string Source), Tally> _tallies = [];
    private readonly TimeSpan _window;
    private readonly ILogger _logger;
    private readonly ITimer _timer;

    public HandshakeRefusals(TimeSpan window, TimeProvider time, ILogger<HandshakeRefusals> logger)
    {
        _window = window;
        _logger = logger;
        _timer = time.CreateTimer(_ => EndWindow(), null, window, window);
    }

    /// <summary>The source of the handshake on this flow: the connection's remote address.</summary>
    public static string? Source
    {
        get => CurrentSource.Value;
        set => CurrentSource.Value = value;
    }

    /// <summary>Counts a refusal on <paramref name="endpoint"/>; true when it is to be logged in detail, false when only counted.</summary>
    public bool Refused(string endpoint, string reason)
    {
        var key = (endpoint, Source ?? "an unknown address");
        lock (_lock)
        {
            if (!_tallies.TryGetValue(key, out var tally))
            {
                _tallies[key] = tally = new Tally();
            }

            if (++tally.Seen <= DetailedPerWindow)
            {
                return true;
            }

            var counted = tally.Reasons.ContainsKey(reason) || tally.Reasons.Count < MaxReasons ? reason : "other reasons";
            tally.Reasons[counted] = tally.Reasons.GetValueOrDefault(counted) + 1;
            return false;
        }
    }

    /// <summary>Sums up what each source had counted, and starts a new window.</summary>
    internal void EndWindow()
    {
        List<((string Endpoint, string Source) Key, Tally Tally)> ended;
        lock (_lock)
        {
            ended = _tallies.Select(t => (t.Key, t.Value)).ToList();
            _tallies.Clear();
        }

        foreach (var ((endpoint, source), tally) in ended.Where(e => e.Tally.Reasons.Count > 0))
        {
            var count = tally.Reasons.Values.Sum();
            var reasons = string.Join("; ", tally.Reasons.OrderByDescending(r => r.Value).Select(r => $"{r.Value} × {r.Key}"));
            Log.HandshakesRefused(_logger, endpoint, count, source, _window, reasons);
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        EndWindow();
    }

    private sealed class Tally
    {
        public int Seen;
        public readonly Dictionary<string, int> Reasons = new(StringComparer.Ordinal);
    }
}
