namespace KpNode.Tests;

/// <summary>
/// Waits, bounded, for a condition the test can observe (a certificate's state, a node's status); the one place where
/// a test paces its polling. A condition that never holds fails with what was last seen, never passes by timing.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(25);

    /// <summary>Reads <paramref name="read"/> until <paramref name="done"/> holds for it; returns that reading.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<T?, string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        T? last = default;
        while (true)
        {
            last = await read();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException(describe(last));
            }

            await Task.Delay(Pause);
        }
    }

    /// <summary>Waits until <paramref name="holds"/> is true.</summary>
    public static Task WaitAsync(Func<bool> holds, TimeSpan timeout, string what) =>
        WaitAsync(() => Task.FromResult(holds()), h => h, timeout, _ => $"{what} did not happen within {timeout.TotalSeconds:0.#} s");
}
