namespace KpNode.Storage;

/// <summary>
/// What the store's writer and flush threads have done since it opened (monotonic counts and times), for the
/// node's metrics and the benchmarks: average group size is <see cref="DurableWrites"/> / <see cref="GroupCommits"/>,
/// average fsync time is <see cref="FsyncSeconds"/> / <see cref="Fsyncs"/>.
/// </summary>
/// <param name="GroupCommits">Transactions that ran queued durable writes together and committed.</param>
/// <param name="DurableWrites">Durable writes those transactions committed.</param>
/// <param name="GroupCommitSeconds">Time the writer spent running and committing them.</param>
/// <param name="Fsyncs">fsyncs that made commits durable.</param>
/// <param name="FsyncSeconds">Time spent in those fsyncs.</param>
/// <param name="Checkpoints">Commits during which LiteDB copied its write-ahead log into the data file.</param>
/// <param name="CheckpointSeconds">Time those commits took, during which no other write could run.</param>
internal sealed record StoreActivity(long GroupCommits, long DurableWrites, double GroupCommitSeconds, long Fsyncs, double FsyncSeconds,
    long Checkpoints, double CheckpointSeconds)
{
    public static StoreActivity operator -(StoreActivity later, StoreActivity earlier) => new(
        later.GroupCommits - earlier.GroupCommits,
        later.DurableWrites - earlier.DurableWrites,
        later.GroupCommitSeconds - earlier.GroupCommitSeconds,
        later.Fsyncs - earlier.Fsyncs,
        later.FsyncSeconds - earlier.FsyncSeconds,
        later.Checkpoints - earlier.Checkpoints,
        later.CheckpointSeconds - earlier.CheckpointSeconds);

    public override string ToString() =>
        $"{GroupCommits} group commits of {(GroupCommits == 0 ? 0 : (double)DurableWrites / GroupCommits):0.0} writes, " +
        $"{(GroupCommits == 0 ? 0 : GroupCommitSeconds * 1000 / GroupCommits):0.00} ms each; " +
        $"{Fsyncs} fsyncs, {(Fsyncs == 0 ? 0 : FsyncSeconds * 1000 / Fsyncs):0.00} ms each; " +
        $"{Checkpoints} checkpoints, {(Checkpoints == 0 ? 0 : CheckpointSeconds * 1000 / Checkpoints):0.0} ms each";
}
