namespace KpNode.Storage;

/// <summary>Four-eyes approvals: what one officer submitted, waiting for or decided by a second.</summary>
internal sealed partial class NodeStore
{
    // A list shows every pending approval, and at most this many decided ones, newest first.
    internal const int MaxDecidedListed = 50;

    public StoredApproval? FindApproval(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"approval {id}", () => Approvals.FindById(id)?.ToStored());
    }

    public IReadOnlyList<StoredApproval> ListApprovals(bool includeDecided)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading("the approvals", () =>
        {
            var pending = Approvals.Find(a => a.State == ApprovalState.Pending).Select(d => d.ToStored()).OrderBy(a => a.Id, StringComparer.Ordinal);
            if (!includeDecided)
                return pending.ToList();
            var decided = Approvals.Find(a => a.State != ApprovalState.Pending).Select(d => d.ToStored())
                .OrderByDescending(a => a.DecidedAt).Take(MaxDecidedListed);
            return [.. pending, .. decided];
        });
    }

    /// <summary>Every approval, pending or decided, for a rebuild of the store.</summary>
    internal IReadOnlyList<StoredApproval> AllApprovals()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading("the approvals", () => Approvals.FindAll().Select(d => d.ToStored()).ToList());
    }
}
