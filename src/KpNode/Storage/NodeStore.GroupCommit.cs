using System.Diagnostics;

namespace KpNode.Storage;

/// <summary>Durable writes: the queue they wait in, the writer thread that runs them in groups, and the flush that makes them durable.</summary>
internal sealed partial class NodeStore
{
    // Durable writes wait here for the writer thread's next group commit; a thread of its own, because one held that
    // long would starve the pool's gRPC and TLS work (bench/RESULTS.md, "Decisions"). Guarded by _queueGate.
    private const int MaxGroup = 64;
    private readonly Lock _queueGate = new();
    private readonly List<IQueuedWrite> _queued = [];
    private readonly SemaphoreSlim _drainWake = new(0);
    private Thread? _drainThread;
    private bool _draining;
    private bool _drainStopped;

    public async Task<T> WriteDurableAsync<T>(Func<IStoreWriter, T> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfInsideWrite("A store write cannot start inside another store write; do all of it in one.");
        ct.ThrowIfCancellationRequested();
        // Refuse before committing: after a failed fsync nothing could be confirmed durable.
        _flusher.ThrowIfFaulted();
        ObjectDisposedException.ThrowIf(_disposed, this);

        var queued = new QueuedWrite<T>(work);
        bool startDrain;
        lock (_queueGate)
        {
            ObjectDisposedException.ThrowIf(_drainStopped, this);
            _queued.Add(queued);
            startDrain = !_draining;
            _draining = true;
            if (_drainThread is null)
            {
                _drainThread = new Thread(WriterThread) { IsBackground = true, Name = "kpnode store writer" };
                _drainThread.Start();
            }
        }

        // Woken once per run of the queue: the writer sets _draining back only when it found the queue empty.
        if (startDrain)
            _drainWake.Release();

        T result;
        // Cancelling while the write waits in the queue takes it out and stores nothing; once its group has run, the commit stands.
        using (ct.Register(() => Dequeue(queued, ct)))
            result = await queued.Outcome.ConfigureAwait(false);
        // Cancelling stops only the wait: the commit stands and a later flush or the close makes it durable.
        // Not FlushAsync: a store closed meanwhile has made this commit durable, and the caller hears so.
        await _flusher.FlushAsync(ct).ConfigureAwait(false);
        return result;
    }

    private void Dequeue<T>(QueuedWrite<T> queued, CancellationToken ct)
    {
        lock (_queueGate)
        {
            if (!_queued.Remove(queued))
                return;
        }

        queued.Cancelled(ct);
    }

    private void WriterThread()
    {
        while (true)
        {
            _drainWake.Wait();
            DrainQueue();
            lock (_queueGate)
            {
                if (_drainStopped)
                    return;
            }
        }
    }

    /// <summary>
    /// Group commit: runs the queued durable writes, up to <see cref="MaxGroup"/> at a time, in one LiteDB
    /// transaction each group, so that concurrent writes share the pages a commit rewrites and one fsync.
    /// </summary>
    private void DrainQueue()
    {
        _writeGate.Wait();
        try
        {
            while (true)
            {
                List<IQueuedWrite> group;
                lock (_queueGate)
                {
                    if (_queued.Count == 0)
                    {
                        _draining = false;
                        return;
                    }

                    group = _queued.Take(MaxGroup).ToList();
                    _queued.RemoveRange(0, group.Count);
                }

                var started = Stopwatch.GetTimestamp();
                RunGroup(group);
                Interlocked.Add(ref _groupTicks, Stopwatch.GetTimestamp() - started);
            }
        }
        catch (Exception unexpected)
        {
            // RunGroup reports failures to the writes themselves; anything escaping it fails what is still queued.
            List<IQueuedWrite> stranded;
            lock (_queueGate)
            {
                stranded = [.. _queued];
                _queued.Clear();
                _draining = false;
            }

            foreach (var queued in stranded)
                queued.Failed(unexpected);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="group"/> as one transaction, in order, as if each ran alone after the ones before
    /// it. When one fails, the transaction rolls back: that write gets its failure (it saw exactly the state it
    /// would have seen alone), the ones before it run again as their own group, and the ones after it go on.
    /// </summary>
    private void RunGroup(List<IQueuedWrite> group)
    {
        var start = 0;
        while (start < group.Count)
        {
            if (_disposed)
            {
                var closed = ClosedBeforeRun();
                foreach (var queued in group.Skip(start))
                    queued.Failed(closed);
                return;
            }

            Volatile.Write(ref _writerThread, Environment.CurrentManagedThreadId);
            var failedAt = -1;
            Exception? failure = null;
            try
            {
                var committed = InTransaction(writer =>
                {
                    for (var i = start; i < group.Count && failedAt < 0; i++)
                    {
                        try
                        {
                            group[i].Run(writer);
                            ThrowIfStoreFailed(writer);
                        }
                        catch (Exception e)
                        {
                            (failedAt, failure) = (i, e);
                        }
                    }

                    return failedAt < 0;
                });
                if (!committed)
                {
                    group[failedAt].Failed(failure!);
                    if (failedAt > start)
                        RunGroup(group.GetRange(start, failedAt - start));
                    start = failedAt + 1;
                    continue;
                }

                Interlocked.Increment(ref _groupCommits);
                Interlocked.Add(ref _groupWrites, group.Count - start);
                foreach (var queued in group.Skip(start))
                    queued.Committed();
                return;
            }
            catch (Exception e)
            {
                // Beginning, committing or rolling back failed (InTransaction rolled back): nothing of this group is stored.
                foreach (var queued in group.Skip(start))
                    queued.Failed(e);
                return;
            }
            finally
            {
                Volatile.Write(ref _writerThread, 0);
            }
        }
    }

    public Task FlushAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _flusher.FlushAsync(ct);
    }
}
