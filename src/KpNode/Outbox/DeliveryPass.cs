using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Storage;

namespace KpNode.Outbox;

/// <summary>
/// One pass over a partner's backlog: deliveries start as soon as a slot is free, the next page is read while the
/// page before is in flight, and messages queued while deliveries are in flight join the pass at once. It knows what
/// it started, what is still in flight, and when the first message it left falls due.
/// </summary>
internal sealed class DeliveryPass(
    INodeStore store, string partner, DeliveryOptions options, TimeProvider time, ChannelReader<bool> queued, Func<bool> linkDown, bool reset)
{
    private readonly Channel<bool> _drained = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _inFlight;

    /// <summary>Deliveries the pass started; none means the backlog holds nothing due.</summary>
    public int Started { get; private set; }

    /// <summary>When the first message the pass left waiting out its backoff falls due; null when it left none.</summary>
    public DateTime? NextDue { get; private set; }

    /// <summary>Runs <paramref name="deliver"/> for each message due, up to MaxInFlightPerPartner at once, until the pass ends.</summary>
    public Task RunAsync(Func<PartnerMessage, CancellationToken, Task> deliver, CancellationToken stopping) =>
        Parallel.ForEachAsync(Due(stopping),
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxInFlightPerPartner, CancellationToken = stopping },
            async (message, ct) =>
            {
                try
                {
                    await deliver(message, ct);
                }
                finally
                {
                    Finished();
                }
            });

    private void Starting()
    {
        Started++;
        Interlocked.Increment(ref _inFlight);
    }

    private void Finished()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            _drained.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// The partner's pending messages that may go now, oldest first, read a page at a time. At the end of the backlog
    /// the pass stays open while deliveries are in flight and takes in what is queued meanwhile; it ends when nothing
    /// is in flight, once it has read MaxMessagesPerPass messages, or when the link goes down.
    /// Messages about one certificate go in order (a void never overtakes the certificate it voids): only the oldest
    /// pending message of each certificate may go in a pass, and a later one waits for the next pass.
    /// </summary>
    private async IAsyncEnumerable<PartnerMessage> Due([EnumeratorCancellation] CancellationToken stopping)
    {
        var certificates = new HashSet<string>(StringComparer.Ordinal);
        string? after = null;
        var pageSize = options.BacklogPageSize;
        var read = 0;
        while (read < options.MaxMessagesPerPass && !linkDown() && !stopping.IsCancellationRequested)
        {
            var page = store.PendingOutbound(partner, pageSize, after);
            read += page.Count;
            if (page.Count > 0)
            {
                after = page[^1].Id;
                // A read sees commits whose fsync may still be running (another write's, in its group); what goes to
                // the partner must be on our disk first, or a power loss could leave it holding what we lost.
                await store.FlushAsync(stopping);
            }

            var now = time.GetUtcNow().UtcDateTime;
            foreach (var message in page)
            {
                if (!certificates.Add(message.CertificateNumber))
                {
                    continue;
                }

                if (reset || message.NextAttemptAt <= now)
                {
                    Starting();
                    yield return message;
                }
                else if (NextDue is not { } next || message.NextAttemptAt < next)
                {
                    NextDue = message.NextAttemptAt;
                }
            }

            if (page.Count == pageSize)
            {
                continue;
            }

            // The end of the backlog: wait while deliveries are in flight for a message queued meanwhile.
            if (!await MoreQueuedWhileInFlightAsync(stopping))
            {
                yield break;
            }
        }
    }

    /// <summary>True when a message was queued before the pass's deliveries all finished; false once they have.</summary>
    private async Task<bool> MoreQueuedWhileInFlightAsync(CancellationToken stopping)
    {
        while (true)
        {
            if (queued.TryRead(out _))
            {
                return true;
            }

            _drained.Reader.TryRead(out _);
            if (Volatile.Read(ref _inFlight) == 0)
            {
                // A signal that came with the last delivery finishing: look once more before ending the pass.
                return queued.TryRead(out _);
            }

            var more = queued.WaitToReadAsync(stopping).AsTask();
            var drained = _drained.Reader.WaitToReadAsync(stopping).AsTask();
            await Task.WhenAny(more, drained);
            stopping.ThrowIfCancellationRequested();
        }
    }
}
