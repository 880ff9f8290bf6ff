namespace KpNode.Fuzz;

/// <summary>Catches what the node logs at Error or above: for a partner's input that is a bug, as a crash is.</summary>
internal sealed class ErrorLogs : ILoggerProvider
{
    private string? _first;

    /// <summary>The first Error logged since the last call, or null.</summary>
    public string? TakeFirst() => Interlocked.Exchange(ref _first, null);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(ErrorLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                Interlocked.CompareExchange(ref owner._first, $"{category} [{eventId.Id}] {formatter(state, exception)} {exception?.GetType().Name}", null);
        }
    }
}
