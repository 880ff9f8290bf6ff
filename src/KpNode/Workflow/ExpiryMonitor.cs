using KpNode.Configuration;
using KpNode.Storage;

namespace KpNode.Workflow;

/// <summary>
/// Marks certificates past their date of expiry without confirmation: Expired (or Undeliverable when never
/// delivered), on both sides, with any pending delivery given up. Runs at start and on a timer of the injected clock.
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

    /// <summary>One pass: every certificate that expired before today moves on; returns how many did.</summary>
    public int ExpireDue()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = now.Date;
        var total = 0;
        foreach (var status in new[] { Domain.CertificateStatus.Issued, Domain.CertificateStatus.Delivered, Domain.CertificateStatus.Received })
        {
            while (true)
            {
                var due = store.ExpiringBefore(today, status, Batch);
                if (due.Count == 0)
                {
                    break;
                }

                total += store.Write(w =>
                {
                    var moved = 0;
                    foreach (var stale in due)
                    {
                        var cert = w.FindCertificate(stale.Id);
                        if (cert is null || cert.Status != status)
                        {
                            continue;
                        }

                        Expire(w, cert, now);
                        moved++;
                    }

                    return moved;
                });
            }
        }

        return total;
    }

    private static void Expire(IStoreWriter w, CertificateDocument cert, DateTime now)
    {
        var expiredOn = $"expired on {cert.DateOfExpiry:yyyy-MM-dd} without import confirmation";
        if (cert.Status == Domain.CertificateStatus.Issued)
        {
            // Never delivered: stop trying, a partner would refuse it anyway.
            if (w.FindMessage(cert.MessageId) is { Status: MessageStatus.Pending } pending)
            {
                pending.Status = MessageStatus.GivenUp;
                pending.LastError = $"the certificate expired on {cert.DateOfExpiry:yyyy-MM-dd} before {cert.Partner} acknowledged it";
                pending.CompletedAt = now;
                w.UpdateMessage(pending);
            }

            cert.StatusReason = $"never delivered to {cert.Partner}; {expiredOn}";
            CertificateDocuments.Transition(cert, Domain.CertificateStatus.Undeliverable, now, $"Delivery given up: the certificate {expiredOn}");
        }
        else
        {
            cert.StatusReason = expiredOn;
            CertificateDocuments.Transition(cert, Domain.CertificateStatus.Expired, now, $"Expired: {expiredOn}");
        }

        w.UpdateCertificate(cert);
        w.Audit("expiry", "certificate.expired", cert.Id, cert.StatusReason);
    }
}
