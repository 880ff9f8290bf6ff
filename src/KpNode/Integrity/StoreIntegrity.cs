using KpNode.Storage;

namespace KpNode.Integrity;

/// <summary>
/// What this node knows about its store's integrity since it started: the damaged records found (by the check at
/// start, or when a call touched one), and how far the check at start got. Health reports NOT_SERVING while any
/// damage is known; the records are named in the status and the log. Thread-safe.
/// </summary>
internal sealed class StoreIntegrity
{
    /// <summary>How many damaged records are kept by name; the count goes on past it.</summary>
    public const int MaxNamed = 20;

    private readonly object _gate = new();
    private readonly List<DamagedRecord> _named = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private long _damaged;
    private long _unverifiable;

    /// <summary>The start check's progress; null before it began.</summary>
    public StoreCheckProgress? Check { get; private set; }

    /// <summary>Records a damaged (or unverifiable) record once by name; returns whether it was new.</summary>
    public bool Report(DamagedRecordException damage)
    {
        lock (_gate)
        {
            if (!_seen.Add(damage.Record))
                return false;
            if (damage.Unverifiable)
                _unverifiable++;
            else
                _damaged++;
            if (_named.Count < MaxNamed)
                _named.Add(new DamagedRecord(damage.Record, damage.Problem, damage.Unverifiable));
            return true;
        }
    }

    public void Progress(StoreCheckProgress progress)
    {
        lock (_gate)
            Check = progress;
    }

    /// <summary>What is known now, in one consistent read.</summary>
    public IntegrityState State
    {
        get
        {
            lock (_gate)
                return new IntegrityState(_damaged, _unverifiable, _named.ToArray(), Check);
        }
    }
}

/// <summary>A record the node refuses to serve, and why.</summary>
internal sealed record DamagedRecord(string Record, string Problem, bool Unverifiable);

/// <summary>How far the store check at start got: records checked of each kind, and whether it finished.</summary>
internal sealed record StoreCheckProgress(long AuditEntries, long Messages, long Certificates, bool Finished, TimeSpan Elapsed);

/// <summary>A snapshot of <see cref="StoreIntegrity"/>.</summary>
internal sealed record IntegrityState(long Damaged, long Unverifiable, IReadOnlyList<DamagedRecord> Named, StoreCheckProgress? Check)
{
    public bool Intact => Damaged == 0;

    /// <summary>One line for health and status: the damage, the first records named, and what to do.</summary>
    public string Describe()
    {
        var damaged = Named.Where(n => !n.Unverifiable).ToList();
        if (damaged.Count == 0)
            return "";
        var first = string.Join("; ", damaged.Take(3).Select(d => $"{d.Record}: {d.Problem}"));
        var more = Damaged > 3 ? $"; and {Damaged - 3} more" : "";
        return $"{Damaged} damaged record{(Damaged == 1 ? "" : "s")} in the store, refused wherever touched ({first}{more}); "
            + "stop the node and run 'kpnode store check' to name them all and rebuild the store";
    }
}
