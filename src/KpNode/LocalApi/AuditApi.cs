using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Evidence;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>The audit log for operators on the Local endpoint: entries with filters, and the whole verification.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class AuditApi(
    OperatorGate gate, INodeStore store, StoredEvidence evidence, StoreIntegrity integrity, HeldAuditHeads heads, ILogger<StoreCheck> checkLogger)
    : AuditService.AuditServiceBase
{
    private const int Batch = 1000;
    private const int DefaultLimit = 100;

    public override Task<ListAuditEntriesResponse> ListAuditEntries(ListAuditEntriesRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        if (request.Limit < 0)
            throw Wire.ApiErrors.Invalid("limit", $"{request.Limit} is negative; give a number of entries, or 0 for {DefaultLimit}");
        var limit = request.Limit == 0 ? DefaultLimit : request.Limit;
        DateTime? since = request.Since?.ToDateTime(), until = request.Until?.ToDateTime();

        // The newest `limit` matching entries, kept in a ring as the log is read oldest first.
        var kept = new Queue<AuditEntry>();
        var truncated = false;
        long from = 1;
        while (true)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var entries = store.ReadAudit(from, Batch);
            foreach (var e in entries)
            {
                if ((request.Action.Length > 0 && e.Action != request.Action) || (request.Subject.Length > 0 && e.Subject != request.Subject)
                    || (since is { } s && e.At < s) || (until is { } u && e.At >= u))
                    continue;
                kept.Enqueue(e);
                if (kept.Count > limit)
                {
                    kept.Dequeue();
                    truncated = true;
                }
            }

            if (entries.Count < Batch)
                break;
            from = entries[^1].Id + 1;
        }

        var response = new ListAuditEntriesResponse { Truncated = truncated };
        response.Entries.AddRange(kept.Select(ToEntry));
        return Task.FromResult(response);
    }

    public override async Task<VerifyAuditResponse> VerifyAudit(VerifyAuditRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        // Off the request thread: it walks every record of the store.
        var result = await Task.Run(() => AuditVerifyRun.Verify(store, evidence, integrity, checkLogger, context.CancellationToken), context.CancellationToken);
        var response = ToResponse(result);
        // What our chain must still hold: the heads partners were given. A mismatch is a break our own walk cannot see.
        foreach (var head in await heads.CheckAsync(context.CancellationToken))
        {
            response.PartnerHeads.Add(new PartnerHeldHead
            {
                Partner = head.Partner,
                Sequence = head.Sequence,
                Hash = head.Hash,
                Matches = head.Agrees,
                SignedAt = head.SignedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
                Detail = head.Problem.Length > 0 ? head.Problem : head.Error,
            });
            if (head.Problem.Length > 0)
            {
                response.Problems.Add(new Wire.V1.AuditProblem { Record = $"audit head held by {head.Partner}", Problem = head.Problem });
                response.Intact = false;
                if (response.FirstBreak.Length == 0)
                    response.FirstBreak = $"audit head held by {head.Partner}: {head.Problem}";
            }
        }

        return response;
    }

    internal static VerifyAuditResponse ToResponse(AuditVerification result)
    {
        var response = new VerifyAuditResponse
        {
            Intact = result.Intact,
            Chain = new AuditChainResult
            {
                Intact = result.Chain.IsIntact,
                EntriesChecked = result.Chain.EntriesChecked,
                BrokenEntryId = result.Chain.BrokenEntryId ?? 0,
                Detail = result.Chain.Detail ?? "",
            },
            MessagesChecked = result.Envelopes.Messages,
            CertificatesChecked = result.Envelopes.Certificates,
            FirstBreak = result.FirstBreak is { } first ? $"{first.Record}: {first.Problem}" : "",
        };
        response.Problems.AddRange(result.Problems.Select(p => new Wire.V1.AuditProblem { Record = p.Record, Problem = p.Problem }));
        return response;
    }

    private static AuditLogEntry ToEntry(AuditEntry e) => new()
    {
        Id = e.Id,
        At = Timestamp.FromDateTime(DateTime.SpecifyKind(e.At, DateTimeKind.Utc)),
        Actor = e.Actor,
        Action = e.Action,
        Subject = e.Subject,
        Detail = e.Detail,
        PreviousHash = e.PreviousHash,
        Hash = e.Hash,
    };
}
