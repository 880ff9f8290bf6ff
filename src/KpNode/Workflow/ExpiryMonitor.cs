using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Storage;

namespace KpNode.Workflow;

/// <summary>
/// Finds certificates past their date of expiry without confirmation and lets each one's lifecycle decide (Expired,
/// or Undeliverable when never delivered, its pending delivery given up), on both sides. Runs at start and on a timer of the injected clock.
/// </summary>
internal sealed class ExpiryMonitor(NodeConfig config, INodeStore store, TimeProvider time, ILogger<ExpiryMonitor> logger) : BackgroundService
{
    private const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var count = ExpireDue();
                if (count > 0)
                {
                    Diagnostics.Log.CertificatesExpired(logger, count);
                }

                Diagnostics.Log.ExpiryCheckDone(logger, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, count);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Diagnostics.Log.ExpiryCheckFailed(logger, e);
            }

            try
            {
                await Task.Delay(config.Options.ExpiryCheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: every certificate that expired before today moves on, as its lifecycle decides; returns how many did.</summary>
    public int ExpireDue()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var total = 0;
        foreach (var status in new[] { Domain.CertificateStatus.Issued, Domain.CertificateStatus.Delivered, Domain.CertificateStatus.Received })
        {
            while (true)
            {
                var due = store.ExpiringBefore(now.Date, status, Batch);
                if (due.Count == 0)
                {
                    break;
                }

                total += store.Write(w =>
                {
                    var moved = 0;
                    foreach (var stale in due)
                    {
                        // Read again inside the write: it may have moved on since the query.
                        if (w.FindCertificate(stale.Number) is { } cert && cert.Status == status && Expire(w, cert, today, now))
                        {
                            moved++;
                        }
                    }

                    return moved;
                });
            }
        }

        return total;
    }

    private static bool Expire(IStoreWriter w, HeldCertificate cert, DateOnly today, DateTime now)
    {
        if (cert.Expire(today, now) is not { } status)
        {
            return false;
        }

        // Never delivered: stop trying, a partner would refuse it anyway.
        if (status == Domain.CertificateStatus.Undeliverable && w.FindMessage(cert.MessageId) is { Status: MessageStatus.Pending } pending)
        {
            pending.Status = MessageStatus.GivenUp;
            pending.LastError = cert.UndeliveredReason;
            pending.CompletedAt = now;
            w.UpdateMessage(pending);
        }

        w.UpdateCertificate(cert);
        // certificate.expired or certificate.undeliverable: the event stream tells the two apart by the action.
        w.Audit("expiry", "certificate." + status.ToString().ToLowerInvariant(), cert.Number, cert.StatusReason ?? "");
        return true;
    }
}
