using System.Diagnostics;
using LiteDB;

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
        // The whole transaction stays on this file: if the store reopens it meanwhile, what is left of the write fails on
        // the closed one rather than running outside any transaction on the new one.
        var file = _file;
        if (!file.Db.BeginTrans())
            throw new InvalidOperationException("A LiteDB transaction is already open on this thread.");

        var writer = new StoreWriter(this, file);
        long commitTicks;
        try
        {
            var commit = run(writer);
            writer.Close();
            if (!commit)
            {
                RollBack(file, cause: null);
                return false;
            }

            var commitStarted = Stopwatch.GetTimestamp();
            if (!file.Db.Commit())
                throw new InvalidOperationException("The store transaction was lost before it could commit; nothing was stored.");
            commitTicks = Stopwatch.GetTimestamp() - commitStarted;
        }
        catch (Exception original)
        {
            writer.Close();
            // LiteDB closed its engine on a page this write needed: open the file again for the calls after it.
            var closed = original is LiteException { ErrorCode: LiteDbDatafileState } && Reopen(file);
            RollBack(file, original);
            if (closed)
                throw Damaged("a page of the store this write needed", original, report: true);
            throw;
        }

        AfterCommit(writer, logBefore, commitTicks);
        return true;
    }

    // Forgets the audit tail the rolled-back write may have moved; a rollback that fails too is reported with its cause.
    private void RollBack(OpenFile file, Exception? cause)
    {
        _auditTail = null;
        try
        {
            file.Db.Rollback();
        }
        catch (LiteException) when (file != _file)
        {
            // LiteDB closed that file on a damaged record, and the transaction with it: nothing of it was stored.
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
        if (writer.AuditTail is { } appended)
            AuditCommitted(appended.Id);
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
        // The last id from the index alone, then that entry: a damaged last entry is named, and refuses every audited write.
        var lastId = Reading("the audit log's index", () => AuditLog.Query().OrderByDescending("$._id").Select("$._id").Limit(1)
            .ToEnumerable().Select(d => d["_id"].AsInt64).FirstOrDefault());
        if (lastId == 0)
            return (0, AuditEntry.GenesisHash);
        var last = Reading($"audit entry {lastId}", () => AuditLog.FindById(lastId) ?? throw new InvalidDataException("its index key has no document"));
        return (last.Id, last.Hash);
    }

    // The gate is not reentrant, and LiteDB would fold a nested transaction into the outer one.
    private void ThrowIfInsideWrite(string message)
    {
        if (Volatile.Read(ref _writerThread) == Environment.CurrentManagedThreadId)
            throw new InvalidOperationException(message);
    }
}
