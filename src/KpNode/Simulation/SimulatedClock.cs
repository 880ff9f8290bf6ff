using System.Diagnostics;

namespace KpNode.Simulation;

/// <summary>
/// The one clock every node of a simulation reads: day <c>d</c> begins at <see cref="Start"/> plus d days and runs on
/// in real time until the next day is called, so timers (delivery backoff, expiry checks) keep their real pace while
/// the calendar jumps. Each day's real span is kept, so a time a node recorded maps back to the run's real time.
/// </summary>
internal sealed class SimulatedClock : TimeProvider
{
    private readonly Stopwatch _real = Stopwatch.StartNew();
    private readonly List<Segment> _days = [];
    private readonly Lock _lock = new();
    // A reference, swapped whole: node threads read it while the run advances the day (a struct could be read torn).
    private volatile Segment _today;

    public SimulatedClock(DateTimeOffset start)
    {
        // A whole second: the store keeps times to the millisecond, and a time cut down to it must not fall before its day.
        start = new DateTimeOffset(start.UtcTicks - start.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        Start = start;
        _today = new Segment(TimeSpan.Zero, start);
        _days.Add(_today);
    }

    public DateTimeOffset Start { get; }

    public int Day { get; private set; }

    /// <summary>Real time since the run began.</summary>
    public TimeSpan Elapsed => _real.Elapsed;

    public override DateTimeOffset GetUtcNow()
    {
        var today = _today;
        return today.SimStart + (_real.Elapsed - today.RealStart);
    }

    /// <summary>Moves the calendar to the start of <paramref name="day"/> (never back).</summary>
    public void Advance(int day)
    {
        lock (_lock)
        {
            if (day <= Day)
                return;
            Day = day;
            _today = new Segment(_real.Elapsed, Start.AddDays(day));
            _days.Add(_today);
        }
    }

    /// <summary>The real time since the run began at which the nodes' clock read <paramref name="simulated"/>.</summary>
    public TimeSpan RealAt(DateTimeOffset simulated)
    {
        lock (_lock)
        {
            for (var i = _days.Count - 1; i >= 0; i--)
            {
                if (simulated >= _days[i].SimStart)
                    return _days[i].RealStart + (simulated - _days[i].SimStart);
            }

            return TimeSpan.Zero;
        }
    }

    private sealed record Segment(TimeSpan RealStart, DateTimeOffset SimStart);
}
