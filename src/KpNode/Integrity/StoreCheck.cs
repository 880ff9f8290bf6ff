using System.Diagnostics;
using KpNode.Storage;

namespace KpNode.Integrity;

/// <summary>
/// The store check at start, in the background: the whole audit chain, then every message's envelope and receipt,
/// then every certificate's fields against its signed messages. A damaged record is reported to
/// <see cref="StoreIntegrity"/> (health NOT_SERVING, the record named) and the walk goes on. Calls that touch a
/// record verify it themselves meanwhile, so the node serves while the check runs.
/// </summary>
internal sealed class StoreCheck(INodeStore store, StoredEvidence evidence, StoreIntegrity integrity, ILogger<StoreCheck> logger)
    : BackgroundService
{
    private const int Batch = 500;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Off the start-up path: the host is listening while the check walks the store.
        Task.Run(() => Run(stoppingToken), stoppingToken);

    /// <summary>Walks the whole store once; returns what it checked.</summary>
    public StoreCheckProgress Run(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        long audit = 0, messages = 0, certificates = 0;
        StoreCheckProgress Progress(bool finished)
        {
            var progress = new StoreCheckProgress(audit, messages, certificates, finished, Stopwatch.GetElapsedTime(started));
            integrity.Progress(progress);
            return progress;
        }

        Progress(false);
        try
        {
            audit = CheckAudit();
            Progress(false);
            messages = Walk(store.MessageIdsAfter, id => $"message {id}", id =>
            {
                if (store.FindMessage(id) is { } message)
                    evidence.Message(message);
            }, () => Progress(false), ct);
            certificates = Walk(store.CertificateNumbersAfter, number => $"certificate {number}", number =>
            {
                if (store.FindCertificate(number) is { } held)
                    evidence.Certificate(held, store.FindMessage, followUps: true);
            }, () => Progress(false), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Progress(false);
        }
        catch (ObjectDisposedException) when (ct.IsCancellationRequested)
        {
            return Progress(false);
        }

        var done = Progress(true);
        var state = integrity.State;
        if (state.Intact)
            Diagnostics.Log.StoreCheckPassed(logger, audit, messages, certificates, done.Elapsed.TotalSeconds, state.Unverifiable);
        else
            Diagnostics.Log.StoreCheckFoundDamage(logger, state.Damaged, state.Describe());
        return done;
    }

    private long CheckAudit()
    {
        AuditChainCheck chain;
        try
        {
            chain = store.VerifyAuditChain();
        }
        catch (Exception e) when (e is not (OperationCanceledException or ObjectDisposedException))
        {
            Damaged(new DamagedRecordException("the audit log", $"it cannot be read ({e.GetType().Name}: {e.Message})", e));
            return 0;
        }

        if (!chain.IsIntact)
            Damaged(new DamagedRecordException($"audit entry {chain.BrokenEntryId}", chain.Detail ?? chain.Fault.ToString()!));
        return chain.EntriesChecked;
    }

    // Every key of one collection, a batch at a time; each record is checked on its own so that one damaged record does not hide the rest.
    private long Walk(Func<string?, int, IReadOnlyList<string>> keysAfter, Func<string, string> name, Action<string> check, Action progress, CancellationToken ct)
    {
        long count = 0;
        string? after = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var keys = keysAfter(after, Batch);
            foreach (var key in keys)
            {
                try
                {
                    check(key);
                }
                catch (DamagedRecordException damage)
                {
                    Damaged(damage);
                }
                catch (Exception e) when (e is not (OperationCanceledException or ObjectDisposedException))
                {
                    Damaged(new DamagedRecordException(name(key), $"it cannot be read ({e.GetType().Name}: {e.Message})", e));
                }

                count++;
            }

            progress();
            if (keys.Count < Batch)
                return count;
            after = keys[^1];
        }
    }

    private void Damaged(DamagedRecordException damage)
    {
        if (integrity.Report(damage))
            Diagnostics.Log.DamagedRecord(logger, damage);
    }
}
