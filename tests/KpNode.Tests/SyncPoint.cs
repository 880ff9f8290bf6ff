namespace KpNode.Tests;

/// <summary>
/// A point where code under test stops until the test lets it go on (the grpc-dotnet test shape): the test waits
/// for the code to reach it, acts while it is held there, then continues it. No sleep guesses when it got there.
/// </summary>
internal sealed class SyncPoint
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _continue = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the code under test has reached the point.</summary>
    public Task WaitForSyncPoint() => _reached.Task;

    /// <summary>Lets the code held at the point go on.</summary>
    public void Continue() => _continue.TrySetResult();

    /// <summary>Called by the code under test: says it is at the point, and completes when the test continues it.</summary>
    public Task WaitToContinue()
    {
        _reached.TrySetResult();
        return _continue.Task;
    }
}
