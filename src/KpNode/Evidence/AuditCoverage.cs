using KpNode.Storage;

namespace KpNode.Evidence;

/// <summary>
/// Every certificate the store holds must be recorded in the audit log (issued or imported, under its number): a
/// certificate with no entry shows that entries were deleted, also the last ones, which the chain alone cannot show.
/// </summary>
internal static class AuditCoverage
{
    private const int Batch = 500;

    /// <summary>The certificates with no audit entry, as problems; and how many certificates were looked up.</summary>
    public static (long Checked, IReadOnlyList<AuditProblem> Problems) Check(INodeStore store, CancellationToken ct)
    {
        var subjects = new HashSet<string>(StringComparer.Ordinal);
        long from = 1;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var entries = store.ReadAudit(from, Batch);
            foreach (var entry in entries)
            {
                subjects.Add(entry.Subject);
            }

            if (entries.Count < Batch)
                break;
            from = entries[^1].Id + 1;
        }

        var problems = new List<AuditProblem>();
        long count = 0;
        string? after = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var numbers = store.CertificateNumbersAfter(after, Batch);
            foreach (var number in numbers)
            {
                count++;
                if (!subjects.Contains(number))
                {
                    problems.Add(new AuditProblem($"certificate {number}",
                        "the store holds it, but no audit entry records it: entries of the audit log were deleted (the last ones, if the chain is intact)"));
                }
            }

            if (numbers.Count < Batch)
                return (count, problems);
            after = numbers[^1];
        }
    }
}
