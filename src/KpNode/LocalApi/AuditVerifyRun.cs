using KpNode.Configuration;
using KpNode.Evidence;
using KpNode.Integrity;
using KpNode.Storage;
using Microsoft.Extensions.Options;

namespace KpNode.LocalApi;

/// <summary>
/// One verification of a store for <c>kpnode audit verify</c>, on the running node or offline: the audit chain, every
/// message's envelope and receipt and every certificate (the store check, never sampled), and certificates the log
/// does not record.
/// </summary>
internal static class AuditVerifyRun
{
    public static AuditVerification Verify(INodeStore store, StoredEvidence evidence, StoreIntegrity integrity, ILogger<StoreCheck> logger, CancellationToken ct)
    {
        var chain = store.VerifyAuditChain();
        var problems = new List<AuditProblem>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        var check = new StoreCheck(store, evidence, integrity, Options.Create(new OperationsOptions()), logger);
        var done = check.Run(d =>
        {
            // Unverifiable records (e.g. signed under a root no longer configured) are not breaks of the evidence.
            if (!d.Unverifiable && named.Add(d.Record))
                problems.Add(new AuditProblem(d.Record, d.Problem));
        }, _ => { }, ct);
        problems.AddRange(AuditCoverage.Check(store, ct).Problems);
        return new AuditVerification(chain, new EnvelopeCheck(done.Messages, done.Certificates), problems);
    }
}
