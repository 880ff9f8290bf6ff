using KpNode.Domain;

namespace KpNode.Workflow;

/// <summary>What kind of refusal a workflow step made; the gRPC adapters map each to one status code.</summary>
internal enum FailureKind
{
    /// <summary>Input breaks a rule; the message names field and rule.</summary>
    Invalid,
    NotFound,
    /// <summary>Something with that identity exists with other content.</summary>
    Conflict,
    /// <summary>The record is in a state that does not allow the step.</summary>
    FailedPrecondition,
    /// <summary>The caller is known but not allowed to do this.</summary>
    PermissionDenied,
    /// <summary>The caller's proof of identity (signature, chain) failed.</summary>
    Unauthenticated,
}

/// <summary>A refusal by the certificate workflow, in words for the person or partner who caused it.</summary>
internal sealed class WorkflowException(FailureKind kind, string message, IReadOnlyList<Violation>? violations = null)
    : Exception(message)
{
    public FailureKind Kind { get; } = kind;

    public IReadOnlyList<Violation> Violations { get; } = violations ?? [];

    public static WorkflowException Invalid(IReadOnlyList<Violation> violations, string what = "The certificate") =>
        new(FailureKind.Invalid,
            $"{what} breaks {violations.Count} rule{(violations.Count == 1 ? "" : "s")}:{Environment.NewLine}"
            + string.Join(Environment.NewLine, violations.Take(Violation.MaxListed).Select(v => $"  - {v.Field}: {v.Rule}"))
            + (violations.Count > Violation.MaxListed ? $"{Environment.NewLine}  - and {violations.Count - Violation.MaxListed} more of the same rules" : ""),
            violations);

    public static WorkflowException Invalid(string field, string rule) => Invalid([new Violation(field, rule)], "The request");
}
