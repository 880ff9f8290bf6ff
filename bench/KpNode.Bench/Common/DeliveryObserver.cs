using System.Collections.Concurrent;
using System.Diagnostics;

namespace KpNode.Bench.Common;

/// <summary>
/// Observes "receipt stored at the sender" without polling the node: the outbox logs event 1300
/// (Delivered) right after <c>RecordReceiptAsync</c> returned, i.e. after the receipt's commit was
/// fsynced. This logging provider timestamps those events and counts anything logged at Warning or above.
/// </summary>
internal sealed class DeliveryObserver : ILoggerProvider
{
    private const int DeliveredEventId = 1300;
    private const string OutboxCategory = "KpNode.Outbox.OutboxDispatcher";

    private readonly ConcurrentDictionary<string, long> _delivered = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly Lock _gate = new();
    private (int Count, TaskCompletionSource Done)? _waiting;
    private int _rejected;
    private int _problemCount;

    public int DeliveredCount => _delivered.Count;

    public int RejectedCount => _rejected;

    public int ProblemCount => _problemCount;

    public IEnumerable<string> FirstProblems => _problems.Take(10);

    public long? FirstDeliveredAt => _delivered.IsEmpty ? null : _delivered.Values.Min();

    public long? LastDeliveredAt => _delivered.IsEmpty ? null : _delivered.Values.Max();

    public bool TryGetDelivered(string number, out long timestamp) => _delivered.TryGetValue(number, out timestamp);

    /// <summary>Forgets earlier deliveries, between phases of a run.</summary>
    public void Reset()
    {
        _delivered.Clear();
        _rejected = 0;
    }

    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        Task done;
        lock (_gate)
        {
            if (_delivered.Count >= count)
                return;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting = (count, tcs);
            done = tcs.Task;
        }

        try
        {
            await done.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"only {_delivered.Count} of {count} receipts were stored within {timeout}; problems logged: {_problemCount} ({string.Join(" | ", FirstProblems)})");
        }
    }

    private void Delivered(string number, string? outcome)
    {
        var now = Stopwatch.GetTimestamp();
        if (!_delivered.TryAdd(number, now))
            return;
        if (outcome is not null && outcome != "Accepted")
            Interlocked.Increment(ref _rejected);
        lock (_gate)
        {
            if (_waiting is { } w && _delivered.Count >= w.Count)
            {
                _waiting = null;
                w.Done.TrySetResult();
            }
        }
    }

    private void Problem(string text)
    {
        if (Interlocked.Increment(ref _problemCount) <= 10)
            _problems.Enqueue(text);
    }

    public ILogger CreateLogger(string categoryName) => new Sink(this, categoryName == OutboxCategory);

    public void Dispose()
    {
    }

    private sealed class Sink(DeliveryObserver observer, bool outbox) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= (outbox ? LogLevel.Information : LogLevel.Warning);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (outbox && eventId.Id == DeliveredEventId && state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                string? number = null, outcome = null;
                foreach (var (key, value) in fields)
                {
                    if (key == "Number")
                        number = value as string;
                    else if (key == "Outcome")
                        outcome = value as string;
                }

                if (number is not null)
                    observer.Delivered(number, outcome);
                return;
            }

            if (logLevel >= LogLevel.Warning)
                observer.Problem($"{logLevel} {eventId.Id}: {formatter(state, exception)}");
        }
    }
}
