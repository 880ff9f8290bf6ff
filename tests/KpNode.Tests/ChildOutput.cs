namespace KpNode.Tests;

/// <summary>What an exited child process wrote, read to its end without waiting forever on a pipe a grandchild inherited.</summary>
internal static class ChildOutput
{
    private static readonly TimeSpan AfterExit = TimeSpan.FromSeconds(30);

    public static async Task<string> OfExitedAsync(string program, Task<string> reading)
    {
        try
        {
            return await reading.WaitAsync(AfterExit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{program} exited, but a process it started still holds its output open {AfterExit.TotalSeconds:0} s later");
        }
    }
}
