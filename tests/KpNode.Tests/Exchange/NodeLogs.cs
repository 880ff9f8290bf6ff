using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KpNode.Tests.Exchange;

/// <summary>
/// Every log entry of one node, as an operator would read it, for the test to wait on and check; at the end of a test
/// an Error the test did not declare expected fails it (the grpc-dotnet <c>VerifyNoErrorsScope</c> shape).
/// </summary>
internal sealed class NodeLogs
{
    private readonly List<Func<FakeLogRecord, bool>> _expectedErrors = [];
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NodeLogs(string code)
    {
        Code = code;
        // The collector adds a record before it calls the sink: a waiter woken here finds the record in the snapshot.
        Collector = FakeLogCollector.Create(new FakeLogCollectorOptions
        {
            OutputSink = _ => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(),
        });
    }

    public string Code { get; }

    public FakeLogCollector Collector { get; }

    public IReadOnlyList<FakeLogRecord> Entries => Collector.GetSnapshot();

    /// <summary>Declares Error entries matching <paramref name="expected"/> part of what the test provokes.</summary>
    public void ExpectErrors(Func<FakeLogRecord, bool> expected)
    {
        lock (_expectedErrors)
        {
            _expectedErrors.Add(expected);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> entries match <paramref name="match"/>; returns them.</summary>
    public async Task<IReadOnlyList<FakeLogRecord>> WaitForAsync(Func<FakeLogRecord, bool> match, int count = 1, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        using var cancel = new CancellationTokenSource(limit);
        while (true)
        {
            // Taken before the snapshot, so an entry added after it wakes this wait.
            var next = Volatile.Read(ref _next).Task;
            var found = Entries.Where(match).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            try
            {
                await next.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Code} logged {found.Count} of the {count} entries awaited within {limit.TotalSeconds:0.#} s; its log:\n"
                    + string.Join('\n', Entries.TakeLast(20)));
            }
        }
    }

    /// <summary>Error entries (and worse) that no <see cref="ExpectErrors"/> declared.</summary>
    public IReadOnlyList<FakeLogRecord> UnexpectedErrors()
    {
        lock (_expectedErrors)
        {
            return Entries.Where(e => e.Level >= LogLevel.Error && !_expectedErrors.Any(expected => expected(e))).ToList();
        }
    }
}
