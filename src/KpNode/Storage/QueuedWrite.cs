namespace KpNode.Storage;

/// <summary>A durable write waiting for its turn in a group commit; its work may run more than once, its outcome is set once.</summary>
internal interface IQueuedWrite
{
    /// <summary>Runs the work inside the group's transaction; the result is kept until the group commits.</summary>
    void Run(IStoreWriter writer);

    void Committed();

    void Failed(Exception failure);
}

/// <inheritdoc cref="IQueuedWrite"/>
internal sealed class QueuedWrite<T>(Func<IStoreWriter, T> work) : IQueuedWrite
{
    private readonly TaskCompletionSource<T> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T _result = default!;

    public Task<T> Outcome => _outcome.Task;

    public void Run(IStoreWriter writer) => _result = work(writer);

    public void Committed() => _outcome.TrySetResult(_result);

    public void Failed(Exception failure) => _outcome.TrySetException(failure);

    public void Cancelled(CancellationToken ct) => _outcome.TrySetCanceled(ct);
}
