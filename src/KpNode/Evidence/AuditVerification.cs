using KpNode.Storage;

namespace KpNode.Evidence;

/// <summary>
/// The outcome of <c>kpnode audit verify</c>: the audit chain re-computed, every stored envelope and receipt
/// re-verified, and every problem found. Each check is its own field, so further checks (e.g. chain heads held by
/// partners) are added beside these without changing their meaning.
/// </summary>
internal sealed record AuditVerification(AuditChainCheck Chain, EnvelopeCheck Envelopes, IReadOnlyList<AuditProblem> Problems)
{
    /// <summary>True when every check passed and no problem was found.</summary>
    public bool Intact => Chain.IsIntact && Problems.Count == 0;

    /// <summary>The first problem, in the order found (the chain is walked first): where to start looking.</summary>
    public AuditProblem? FirstBreak => Problems.Count > 0 ? Problems[0] : null;
}

/// <summary>How many stored messages (envelope and receipt) and certificates (their fields against their signed messages) were re-verified.</summary>
internal sealed record EnvelopeCheck(long Messages, long Certificates);

/// <summary>One problem: the record it concerns (e.g. "audit entry 41", "message 0f3c…") and what is wrong with it.</summary>
internal sealed record AuditProblem(string Record, string Problem);
