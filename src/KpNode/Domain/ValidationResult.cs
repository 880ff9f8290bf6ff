using System.Diagnostics.CodeAnalysis;

namespace KpNode.Domain;

/// <summary>The outcome of checking a draft: the certificate when every rule holds, otherwise every broken rule.</summary>
internal sealed record ValidationResult(Certificate? Certificate, IReadOnlyList<Violation> Violations)
{
    [MemberNotNullWhen(true, nameof(Certificate))]
    public bool IsValid => Certificate is not null && Violations.Count == 0;
}
