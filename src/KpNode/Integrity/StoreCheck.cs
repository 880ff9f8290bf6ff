using System.Diagnostics;
using KpNode.Configuration;
using KpNode.Storage;
using Microsoft.Extensions.Options;

namespace KpNode.Integrity;

/// <summary>
/// The store check at start, in the background: the whole audit chain, then every message's envelope and receipt,
/// then every certificate's fields against its signed messages (a random sample of each in a large store, see
/// <see cref="OperationsOptions.StoreCheckSample"/>). A damaged record is reported to <see cref="StoreIntegrity"/>
/// (health NOT_SERVING, the record named) and the walk goes on. Calls that touch a record verify it themselves, so
/// the node serves while the check runs.
/// </summary>
internal sealed class StoreCheck(INodeStore store, StoredEvidence evidence, StoreIntegrity integrity, IOptions<OperationsOptions> options,
    ILogger<StoreCheck> logger) : BackgroundService
{
    private const int Batch = 500;
    // Told of every damaged record, for the offline check that names them all (StoreIntegrity keeps the first few).
    private Action<DamagedRecordException>? _found;
    private Action<StoreCheckProgress>? _progress;
    private bool _everyRecord;

    /// <summary>
    /// The offline check (<c>kpnode store check</c>): the same walk over every record, never a sample, with every damaged
    /// record and each step of progress told.
    /// </summary>
    public StoreCheckProgress Run(Action<DamagedRecordException> found, Action<StoreCheckProgress> progress, CancellationToken ct)
    {
        (_found, _progress, _everyRecord) = (found, progress, true);
        store.DamageFound += Damaged;
        try
        {
            return Run(ct);
        }
        finally
        {
            store.DamageFound -= Damaged;
            (_found, _progress, _everyRecord) = (null, null, false);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A damaged record any call meets is known at once, also one a list left out rather than failed on.
        store.DamageFound += Damaged;
        stoppingToken.Register(() => store.DamageFound -= Damaged);
        // Off the start-up path: the host is listening while the check walks the store.
        return Task.Run(() => Run(stoppingToken), stoppingToken);
    }

    /// <summary>Walks the store once; returns what it checked.</summary>
    public StoreCheckProgress Run(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var sample = _everyRecord ? 0 : options.Value.StoreCheckSample;
        long audit = 0, messages = 0, certificates = 0;
        StoreCheckProgress Progress(bool finished)
        {
            var progress = new StoreCheckProgress(audit, messages, certificates, finished, Stopwatch.GetElapsedTime(started));
            integrity.Progress(progress);
            _progress?.Invoke(progress);
            return progress;
        }

        Progress(false);
        var phases = new List<string>();
        try
        {
            var phase = Stopwatch.GetTimestamp();
            audit = CheckAudit();
            phases.Add($"audit chain {Stopwatch.GetElapsedTime(phase).TotalSeconds:F1} s");
            Progress(false);

            phase = Stopwatch.GetTimestamp();
            var (messageKeys, messageTotal) = Keys(store.MessageIdsAfter, sample, ct);
            messages = Check(messageKeys, id => $"message {id}", id =>
            {
                if (store.FindMessage(id) is { } message)
                    evidence.Message(message);
            }, () => Progress(false), ref messages, ct);
            phases.Add($"{messages} of {messageTotal} messages {Stopwatch.GetElapsedTime(phase).TotalSeconds:F1} s");

            phase = Stopwatch.GetTimestamp();
            var (certificateKeys, certificateTotal) = Keys(store.CertificateNumbersAfter, sample, ct);
            certificates = Check(certificateKeys, number => $"certificate {number}", number =>
            {
                if (store.FindCertificate(number) is { } held)
                    evidence.Certificate(held, store.FindMessage, followUps: true);
            }, () => Progress(false), ref certificates, ct);
            phases.Add($"{certificates} of {certificateTotal} certificates {Stopwatch.GetElapsedTime(phase).TotalSeconds:F1} s");

            // Kept authenticity statements: not counted in the progress, which names the three kinds of record above.
            phase = Stopwatch.GetTimestamp();
            long statements = 0;
            var (statementKeys, statementTotal) = Keys(store.AuthenticityStatementIdsAfter, sample, ct);
            Check(statementKeys, id => $"authenticity statement {id}", id =>
            {
                if (store.FindAuthenticityStatement(id) is { } statement)
                    evidence.Statement(statement);
            }, () => { }, ref statements, ct);
            phases.Add($"{statements} of {statementTotal} authenticity statements {Stopwatch.GetElapsedTime(phase).TotalSeconds:F1} s");
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && ct.IsCancellationRequested)
        {
            return Progress(false);
        }

        var done = Progress(true);
        var state = integrity.State;
        if (state.Intact)
            Diagnostics.Log.StoreCheckPassed(logger, done.Elapsed.TotalSeconds, string.Join(", ", phases), state.Unverifiable);
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

    // Every key of one collection from its index, or a uniform random sample of `sample` of them (reservoir sampling).
    private (List<string> Keys, long Total) Keys(Func<string?, int, IReadOnlyList<string>> keysAfter, int sample, CancellationToken ct)
    {
        var keys = new List<string>();
        long total = 0;
        string? after = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            IReadOnlyList<string> batch;
            try
            {
                batch = keysAfter(after, Batch);
            }
            catch (DamagedRecordException damage)
            {
                // The index itself cannot be read: what lies beyond it is named by the calls that reach it.
                Damaged(damage);
                return (keys, total);
            }

            foreach (var key in batch)
            {
                total++;
                if (sample == 0 || keys.Count < sample)
                    keys.Add(key);
                else if (Random.Shared.NextInt64(total) < sample)
                    keys[Random.Shared.Next(sample)] = key;
            }

            if (batch.Count < Batch)
                return (keys, total);
            after = batch[^1];
        }
    }

    // Each record on its own, so that one damaged record does not hide the rest.
    private long Check(List<string> keys, Func<string, string> name, Action<string> check, Action progress, ref long count, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            ct.ThrowIfCancellationRequested();
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

            if (++count % Batch == 0)
                progress();
        }

        return count;
    }

    private void Damaged(DamagedRecordException damage)
    {
        _found?.Invoke(damage);
        if (integrity.Report(damage))
            Diagnostics.Log.DamagedRecord(logger, damage);
    }
}
