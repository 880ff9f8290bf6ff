using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>One of the node's leaves before and after <see cref="NodeCredentials.Reload"/>.</summary>
internal sealed record LeafChange(LeafKind Kind, X509Certificate2 Previous, X509Certificate2 Current)
{
    public bool Changed => !Previous.RawDataMemory.Span.SequenceEqual(Current.RawDataMemory.Span);
}

/// <summary>
/// The node's own PKI while it runs: the participant and root are fixed for the life of the process, the leaves are the
/// ones last read from the PKI folder. <see cref="Reload"/> reads the folder again (after <c>pki install</c>) and swaps
/// the whole set at once, so a reader never sees the new TLS certificate beside the old signing one.
/// </summary>
internal sealed class NodeCredentials : IDisposable
{
    private readonly string _pkiDirectory;
    private readonly Lock _reloading = new();
    // Every set ever loaded stays alive until the node stops: a connection or a signature in flight may still hold one.
    private readonly List<ParticipantCredentials> _loaded = [];
    private volatile ParticipantCredentials _current;

    public NodeCredentials(ParticipantCredentials initial, string pkiDirectory)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
        _loaded.Add(initial);
        _pkiDirectory = pkiDirectory;
        Participant = initial.Participant;
        Root = initial.Root;
        Anchors = initial.Anchors;
    }

    public string Participant { get; }

    /// <summary>Our trust anchor; a new root is a rollover, not a reload.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Our root and the earlier ones a rollover kept: what our own stored evidence may chain to.</summary>
    public IReadOnlyList<X509Certificate2> Anchors { get; }

    /// <summary>The leaves in use now; read it once per use, as a set.</summary>
    public ParticipantCredentials Current => _current;

    public string PkiDirectory => _pkiDirectory;

    /// <summary>
    /// Reads the PKI folder and, if it holds a PKI the node would start with (same participant, same root, every leaf
    /// valid now), makes it current. Throws <see cref="PkiFileException"/> with every problem otherwise, and changes nothing.
    /// </summary>
    public IReadOnlyList<LeafChange> Reload(DateTimeOffset now)
    {
        lock (_reloading)
        {
            var candidate = PkiFiles.Load(_pkiDirectory);
            var problems = new List<string>();
            if (!candidate.Root.RawDataMemory.Span.SequenceEqual(Root.RawDataMemory.Span))
            {
                problems.Add($"{PkiFiles.RootCertificate} is another root than the one the node started with ('{candidate.Root.Subject}', serial {candidate.Root.SerialNumber}, "
                             + $"not {Root.SerialNumber}); partners trust the root the node started with: restore it, or restart the node for a root rollover");
            }

            problems.AddRange(OwnCredentials.Problems(candidate, _pkiDirectory, Participant, now));
            if (problems.Count > 0)
            {
                candidate.Dispose();
                throw new PkiFileException(_pkiDirectory, string.Join("; ", problems));
            }

            var previous = _current;
            _loaded.Add(candidate);
            _current = candidate;
            return
            [
                new LeafChange(LeafKind.NodeTls, previous.NodeTls, candidate.NodeTls),
                new LeafChange(LeafKind.DocumentSigning, previous.DocumentSigning, candidate.DocumentSigning),
                new LeafChange(LeafKind.Operator, previous.Operator, candidate.Operator),
            ];
        }
    }

    public void Dispose()
    {
        lock (_reloading)
        {
            foreach (var set in _loaded)
            {
                set.Dispose();
            }

            _loaded.Clear();
        }
    }
}
