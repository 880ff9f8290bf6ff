using System.Diagnostics;

namespace KpNode.Storage;

/// <summary>Plain writes and the one place a LiteDB transaction begins, commits and rolls back.</summary>
internal sealed partial class NodeStore
{
    public T Write<T>(Func<IStoreWriter, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfInsideWrite("A store write cannot start inside another store write; do all of it in one.");
        _writeGate.Wait();
        try
        {
            return WriteHoldingGate(work);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private T WriteHoldingGate<T>(Func<IStoreWriter, T> work)
    {
        Volatile.Write(ref _writerThread, Environment.CurrentManagedThreadId);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            T result = default!;
            InTransaction(writer =>
            {
                result = work(writer);
                ThrowIfStoreFailed(writer);
                return true;
            });
            return result;
        }
        finally
        {
            Volatile.Write(ref _writerThread, 0);
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> in one LiteDB transaction, the only place one begins and ends: it commits when
    /// <paramref name="run"/> returns true, and rolls back when it returns false or throws (the exception propagates).
    /// </summary>
    private bool InTransaction(Func<StoreWriter, bool> run)
    {
        var logBefore = LengthOrZero(_logPath);
        if (!_db.BeginTrans())
            throw new InvalidOperationException("A LiteDB transaction is already open on this thread.");

        var writer = new StoreWriter(this);
        long commitTicks;
        try
        {
            var commit = run(writer);
            writer.Close();
            if (!commit)
            {
                RollBack(cause: null);
                return false;
            }

            var commitStarted = Stopwatch.GetTimestamp();
            if (!_db.Commit())
                throw new InvalidOperationException("The store transaction was lost before it could commit; nothing was stored.");
            commitTicks = Stopwatch.GetTimestamp() - commitStarted;
        }
        catch (Exception original)
        {
            writer.Close();
            RollBack(original);
            throw;
        }

        AfterCommit(writer, logBefore, commitTicks);
        return true;
    }

    // Forgets the audit tail the rolled-back write may have moved; a rollback that fails too is reported with its cause.
    private void RollBack(Exception? cause)
    {
        _auditTail = null;
        try
        {
            _db.Rollback();
        }
        catch (Exception rollbackFailure) when (cause is not null)
        {
            throw new AggregateException("A store write failed and rolling it back failed too.", cause, rollbackFailure);
        }
    }

    // LiteDB rolls its transaction back itself when one of its operations fails, so if the work caught that and
    // returned, what it wrote before is gone: committing now would store only part of the work.
    private static void ThrowIfStoreFailed(StoreWriter writer)
    {
        if (writer.Failure is { } failure)
            throw new InvalidOperationException("A store operation failed inside this write, so the transaction was rolled back; the work must not continue past such a failure.", failure);
    }

    // What a committed write leaves behind: the audit tail and signers it stored become known committed, and the
    // flusher learns of the commit (if it wrote anything) so that a flush covers it.
    private void AfterCommit(StoreWriter writer, long logBefore, long commitTicks)
    {
        if (writer.AuditTail is { } tail)
            _auditTail = tail;
        Packing.Committed(writer.NewSigners);
        if (writer.Wrote)
        {
            // LiteDB checkpoints inside Commit, copying the log into the data file and
            // truncating the log to zero; a log that did not grow means that happened.
            var checkpointed = LengthOrZero(_logPath) <= logBefore;
            _flusher.Committed(dataFileWritten: checkpointed);
            if (checkpointed)
            {
                Interlocked.Increment(ref _checkpoints);
                Interlocked.Add(ref _checkpointTicks, commitTicks);
            }
        }
    }

    private static ObjectDisposedException ClosedBeforeRun() =>
        new(nameof(NodeStore), "The store was closed before this write could run; nothing of it was stored.");

    /// <summary>The last committed audit entry (0 and the genesis hash for an empty log); only inside a write.</summary>
    internal (long Id, string Hash) CommittedAuditTail()
    {
        if (_auditTail is { } known)
            return known;
        var last = AuditLog.Query().OrderByDescending(x => x.Id).Limit(1).FirstOrDefault();
        return last is null ? (0, AuditEntry.GenesisHash) : (last.Id, last.Hash);
    }

    // The gate is not reentrant, and LiteDB would fold a nested transaction into the outer one.
    private void ThrowIfInsideWrite(string message)
    {
        if (Volatile.Read(ref _writerThread) == Environment.CurrentManagedThreadId)
            throw new InvalidOperationException(message);
    }
}
