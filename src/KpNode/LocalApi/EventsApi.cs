using System.Globalization;
using Grpc.Core;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>
/// The event stream for the participant's own systems on the Local endpoint: the audit log's events after a cursor, a
/// page at a time, then each new one as its commit signals it (no polling).
/// </summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class EventsApi(OperatorGate gate, INodeStore store, IHostApplicationLifetime lifetime, ILogger<EventsApi> logger)
    : EventService.EventServiceBase
{
    private const int Page = 500;

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> responseStream, ServerCallContext context)
    {
        var op = gate.RequireOperator(context);
        var after = AfterCursor(request.AfterCursor, op.AuditName);
        long sent = 0;
        // A stream never ends by itself: the node's stopping ends it, or Kestrel would wait for it until its shutdown timeout.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var ct = watching.Token;
        Log.WatchStarted(logger, op.AuditName, after);
        try
        {
            while (true)
            {
                var entries = store.ReadAudit(after + 1, Page);
                // Only what is on stable storage goes out: a cursor given must never be taken back by a power loss and
                // reused for another entry (most writes are durable already; a link's change is not).
                if (entries.Count > 0)
                    await store.FlushAsync(ct);
                foreach (var entry in entries)
                {
                    if (EventProjection.Project(entry, PartnerOf) is { } projected)
                    {
                        await responseStream.WriteAsync(new WatchEventsResponse { Event = projected }, ct);
                        sent++;
                    }

                    after = entry.Id;
                }

                if (entries.Count < Page)
                    await store.WaitForAuditAfterAsync(after, ct);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            Log.WatchEnded(logger, op.AuditName, after, sent);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            Log.WatchEndedByStop(logger, op.AuditName, after, sent);
            throw ApiErrors.Refuse(StatusCode.Unavailable,
                $"the node is stopping; reconnect when it is back with afterCursor {EventProjection.Cursor(after)} (the last event sent, or later) to miss nothing");
        }
    }

    private long AfterCursor(string cursor, string op)
    {
        if (cursor.Length == 0)
            return 0;
        if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
            throw Refused(op, $"'{Domain.Printable.Of(cursor, 40)}' is not a cursor this node gave; pass the cursor of the last event received, or none for every event");
        var last = store.LastAuditId();
        if (after > last)
        {
            throw Refused(op, $"{after} is past this node's newest event ({last}): it comes from another node or from before a restore; "
                + "pass the cursor of the last event received from this node, or none for every event");
        }

        return after;
    }

    private RpcException Refused(string op, string rule)
    {
        Log.WatchRefused(logger, op, $"afterCursor: {rule}");
        return ApiErrors.Invalid("afterCursor", rule);
    }

    // A certificate's partner never changes, so today's record names the partner of every event about it.
    private string? PartnerOf(string number)
    {
        try
        {
            return number.Length == 0 ? null : store.FindCertificate(number)?.Partner;
        }
        catch (DamagedRecordException)
        {
            return null; // the store check names the damaged record; the event goes out without its partner
        }
    }
}
