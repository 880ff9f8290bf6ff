using KpNode.Domain;
using KpNode.Storage;

namespace KpNode.Tests.Storage;

public sealed class DurableWriteTests : IDisposable
{
    private readonly StoreFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Durable_writes_from_many_concurrent_callers_all_commit_and_survive_reopen()
    {
        const int callers = 64;
        using (var store = _folder.Open())
        {
            var writes = Enumerable.Range(1, callers).Select(n => Task.Run(() => store.WriteDurableAsync(w =>
            {
                var number = w.NextSequence("ZA-2025");
                var certificate = Sample.Certificate($"ZA-2025-{number:000000}");
                w.InsertCertificate(certificate);
                w.InsertMessage(Sample.OutboundMessage($"m-{number}", "BE", Sample.Noon));
                w.Audit("workflow", "certificate.issue", certificate.Number, $"caller {n}");
                return number;
            }, CancellationToken.None)));

            var numbers = await Task.WhenAll(writes);

            Assert.Equal(Enumerable.Range(1, callers).Select(n => (long)n), numbers.Order());
            // Each write was counted once, in some group commit, and no commit went without an fsync covering it.
            var activity = store.Activity;
            Assert.Equal(callers, activity.DurableWrites);
            Assert.InRange(activity.GroupCommits, 1, callers);
            Assert.InRange(activity.Fsyncs, 1, activity.GroupCommits);
        }

        using var reopened = _folder.Open();
        Assert.Equal(callers, reopened.CountCertificatesByStatus()[CertificateStatus.Issued]);
        for (var n = 1; n <= callers; n++)
        {
            Assert.NotNull(reopened.FindCertificate($"ZA-2025-{n:000000}"));
            Assert.NotNull(reopened.FindMessage($"m-{n}"));
        }
        var chain = reopened.VerifyAuditChain();
        Assert.True(chain.IsIntact, chain.Detail);
        Assert.Equal(callers, chain.EntriesChecked);
    }

    [Fact]
    public async Task Durable_writes_keep_working_across_log_checkpoints_which_the_store_counts()
    {
        // 64 KB messages: each write adds ten pages or more to LiteDB's log, which LiteDB copies into the data file
        // inside the commit that takes it past CheckpointPages.
        var longestLog = 0L;
        using (var store = _folder.Open())
        {
            for (var n = 1; n <= 200; n++)
            {
                var certificate = Sample.Certificate($"ZA-2025-{n:000000}");
                var message = Sample.OutboundMessage(certificate.MessageId, "BE", Sample.Noon);
                message.Envelope = new byte[64 * 1024];
                message.Envelope[^1] = (byte)n;
                await store.WriteDurableAsync(w => { w.InsertCertificate(certificate); w.InsertMessage(message); return 0; }, CancellationToken.None);
                longestLog = Math.Max(longestLog, LogPages());
            }

            Assert.InRange(store.Activity.Checkpoints, 2, 20);
            Assert.True(store.Activity.CheckpointSeconds > 0);
        }

        // The log never holds much more than the threshold: at most the one write that took it past.
        Assert.InRange(longestLog, 1, NodeStore.CheckpointPages + 64);
        using var reopened = _folder.Open();
        Assert.Equal(200, reopened.FindMessage(reopened.FindCertificate("ZA-2025-000200")!.MessageId)!.Envelope[^1]);
        Assert.Equal(200, reopened.CountCertificatesByStatus()[CertificateStatus.Issued]);
    }

    [Fact]
    public async Task A_writer_kept_busy_by_many_callers_still_bounds_its_log_and_loses_no_write()
    {
        const int callers = 32;
        const int writesEach = 25;
        var longestLog = 0L;
        using (var store = _folder.Open())
        {
            await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
            {
                for (var i = 0; i < writesEach; i++)
                {
                    var certificate = Sample.Certificate($"ZA-2025-{caller * writesEach + i + 1:000000}");
                    var message = Sample.OutboundMessage(certificate.MessageId, "BE", Sample.Noon);
                    message.Envelope = new byte[64 * 1024];
                    await store.WriteDurableAsync(w => { w.InsertCertificate(certificate); w.InsertMessage(message); return 0; }, CancellationToken.None);
                    var pages = LogPages();
                    InterlockedMax(ref longestLog, pages);
                }
            })));

            Assert.True(store.Activity.Checkpoints >= 1);
        }

        // Whatever the load, the log is checkpointed once past the threshold: at most one group of 32 writes (under
        // 32 x 12 pages) beyond it.
        Assert.InRange(longestLog, 1, NodeStore.CheckpointPages + callers * 12);
        using var reopened = _folder.Open();
        Assert.Equal(callers * writesEach, reopened.CountCertificatesByStatus()[CertificateStatus.Issued]);
    }

    private long LogPages()
    {
        var log = new FileInfo(Path.Combine(Path.GetDirectoryName(_folder.DataFile)!, "kpnode-log.db"));
        return log.Exists ? log.Length / 8192 : 0;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
            current = seen;
    }

    [Fact]
    public async Task A_durable_write_whose_work_throws_stores_nothing()
    {
        using var store = _folder.Open();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteDurableAsync<int>(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            throw new InvalidOperationException("rule violated");
        }, CancellationToken.None));

        Assert.Null(store.FindCertificate("ZA-2025-000001"));
    }

    [Fact]
    public async Task A_cancelled_durable_write_stores_nothing()
    {
        using var store = _folder.Open();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteDurableAsync(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            return 0;
        }, cancelled.Token));

        Assert.Null(store.FindCertificate("ZA-2025-000001"));
    }

    [Fact]
    public async Task Flushing_with_nothing_committed_completes_at_once()
    {
        using var store = _folder.Open();

        Assert.True(store.FlushAsync().IsCompletedSuccessfully, "a flush with nothing committed is complete when it returns");
        store.Write(w => w.FindCertificate("none"));
        Assert.True(store.FlushAsync().IsCompletedSuccessfully, "a write that changed nothing leaves nothing to flush");
    }

    [Fact]
    public async Task A_durable_write_cancelled_while_waiting_for_its_turn_stores_nothing()
    {
        using var store = _folder.Open();
        using var slow = HeldWrite.Start(store, w => w.NextSequence("ZA-2025"));

        using var cancel = new CancellationTokenSource();
        var waiting = store.WriteDurableAsync(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            return 0;
        }, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await slow.ReleaseAsync();

        Assert.Null(store.FindCertificate("ZA-2025-000001"));
        Assert.Equal(2, store.Write(w => w.NextSequence("ZA-2025")));
    }

    [Fact]
    public async Task A_durable_write_cannot_start_inside_another_write()
    {
        using var store = _folder.Open();

        // Refused at once rather than left waiting for a turn that the same thread holds.
        var inner = store.Write(_ => store.WriteDurableAsync(w => w.NextSequence("ZA-2025"), CancellationToken.None));

        await Assert.ThrowsAsync<InvalidOperationException>(() => inner);
        Assert.Equal(1, store.Write(w => w.NextSequence("ZA-2025")));
    }

    [Fact]
    public async Task Durable_writes_queued_together_succeed_or_fail_each_on_its_own()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000013"));
            return 0;
        });
        // Hold the store so that all the durable writes below queue up and run as one group.
        using var blocker = HeldWrite.Start(store);

        var writes = Enumerable.Range(1, 40).Select(n => store.WriteDurableAsync(w =>
        {
            // Every write stores a message first; number 13 then collides with a stored certificate.
            w.InsertMessage(Sample.OutboundMessage($"m-{n}", "BE", Sample.Noon));
            w.InsertCertificate(Sample.Certificate($"ZA-2025-{n:000000}"));
            w.Audit("workflow", "certificate.issue", $"ZA-2025-{n:000000}", $"write {n}");
            return n;
        }, CancellationToken.None)).ToList();
        await blocker.ReleaseAsync();

        for (var n = 1; n <= 40; n++)
        {
            if (n == 13)
            {
                await Assert.ThrowsAsync<DuplicateKeyException>(() => writes[n - 1]);
                Assert.Null(store.FindMessage("m-13"));
            }
            else
            {
                Assert.Equal(n, await writes[n - 1]);
                Assert.NotNull(store.FindMessage($"m-{n}"));
            }
        }

        var chain = store.VerifyAuditChain();
        Assert.True(chain.IsIntact, chain.Detail);
        Assert.Equal(39, chain.EntriesChecked);
    }

    [Fact]
    public async Task Writes_grouped_before_a_failing_one_run_again_and_commit_once()
    {
        using var store = _folder.Open();
        using var blocker = HeldWrite.Start(store);
        var runs = new int[3];

        var first = store.WriteDurableAsync(w =>
        {
            runs[0]++;
            return w.NextSequence("ZA-2025");
        }, CancellationToken.None);
        var failing = store.WriteDurableAsync<long>(w =>
        {
            runs[1]++;
            w.NextSequence("ZA-2025");
            throw new TimeoutException("the partner went away");
        }, CancellationToken.None);
        var third = store.WriteDurableAsync(w =>
        {
            runs[2]++;
            return w.NextSequence("ZA-2025");
        }, CancellationToken.None);
        await blocker.ReleaseAsync();

        Assert.Equal(1, await first);
        await Assert.ThrowsAsync<TimeoutException>(() => failing);
        Assert.Equal(2, await third);
        Assert.Equal([2, 1, 1], runs);
        Assert.Equal(3, store.Write(w => w.NextSequence("ZA-2025")));
    }

    [Fact]
    public async Task Closing_the_store_while_durable_writes_keep_arriving_ends_every_write_and_the_store_threads()
    {
        var stored = new System.Collections.Concurrent.ConcurrentBag<long>();
        var refused = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var store = _folder.Open();
        // Reached once 50 writes have been answered, so the store closes while the callers keep writing.
        var fiftyStored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    stored.Add(await store.WriteDurableAsync(w =>
                    {
                        var number = w.NextSequence("ZA-2025");
                        w.InsertCertificate(Sample.Certificate($"ZA-2025-{number:000000}"));
                        return number;
                    }, CancellationToken.None));
                    if (stored.Count >= 50)
                        fiftyStored.TrySetResult();
                }
                catch (Exception e)
                {
                    refused.Add(e);
                    return;
                }
            }
        })).ToArray();

        await fiftyStored.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(store.ThreadsRunning);
        store.Dispose();

        // Every caller gets an answer: no write is left waiting on a writer that has gone.
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(store.ThreadsRunning);
        Assert.Equal(8, refused.Count);
        Assert.All(refused, e => Assert.IsType<ObjectDisposedException>(e));

        // Each write that was answered with success is on disk.
        using var reopened = _folder.Open();
        Assert.All(stored, n => Assert.NotNull(reopened.FindCertificate($"ZA-2025-{n:000000}")));
        Assert.Equal(stored.Count, reopened.CountCertificatesByStatus()[CertificateStatus.Issued]);
    }
}
