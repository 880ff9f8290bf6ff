using System.Collections.Concurrent;

namespace KpNode.Simulation;

/// <summary>
/// Counts what the simulated nodes log at Warning and Error, per node, keeping the first few errors in words: the
/// nodes' own logs are not shown (sixty nodes would bury the progress), but an error any of them logs is reported.
/// </summary>
internal sealed class NodeErrorTally
{
    private const int KeptErrors = 20;
    private readonly ConcurrentQueue<string> _errors = new();
    private long _errorCount;
    private long _warningCount;

    public long Errors => Interlocked.Read(ref _errorCount);

    public long Warnings => Interlocked.Read(ref _warningCount);

    public IReadOnlyList<string> FirstErrors => [.. _errors];

    public ILoggerProvider For(string code) => new Provider(this, code);

    private void Record(string code, string category, LogLevel level, EventId id, string message, Exception? exception)
    {
        if (level >= LogLevel.Error)
        {
            if (Interlocked.Increment(ref _errorCount) <= KeptErrors)
                _errors.Enqueue($"{code} {category} [{id.Id}] {message}{(exception is null ? "" : ": " + Truncated(exception.ToString()))}");
        }
        else if (level == LogLevel.Warning)
        {
            Interlocked.Increment(ref _warningCount);
        }
    }

    // The exception's type, message and first frames: enough to find the fault, short enough for a report.
    private static string Truncated(string text) => text.Length <= 1_500 ? text : text[..1_500] + "…";

    private sealed class Provider(NodeErrorTally tally, string code) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(tally, code, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(NodeErrorTally tally, string code, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                tally.Record(code, category, logLevel, eventId, formatter(state, exception), exception);
        }
    }
}
