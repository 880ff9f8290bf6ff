using KpNode.Domain;
using KpNode.Storage;
using Microsoft.Extensions.Time.Testing;

namespace KpNode.Tests.Storage;

/// <summary>A temporary folder holding one store file, removed with everything in it at the end of a test.</summary>
internal sealed class StoreFolder : IDisposable
{
    // Sub-millisecond ticks on purpose: LiteDB keeps milliseconds, and the store must cope.
    public static readonly DateTimeOffset Start = new DateTimeOffset(2025, 3, 14, 9, 26, 53, 589, TimeSpan.Zero).AddTicks(7931);

    public StoreFolder()
    {
        Folder = Path.Combine(Path.GetTempPath(), "kpnode-store-tests", Guid.NewGuid().ToString("N"));
    }

    public string Folder { get; }
    public string DataFile => Path.Combine(Folder, "node", "kpnode.db");
    public FakeTimeProvider Time { get; } = new(Start);

    public NodeStore Open() => NodeStore.Open(DataFile, Time);

    public void Dispose()
    {
        if (Directory.Exists(Folder))
            Directory.Delete(Folder, recursive: true);
    }
}

internal static class Sample
{
    public static readonly DateTime Noon = new(2025, 3, 14, 12, 0, 0, DateTimeKind.Utc);

    public static HeldCertificate Certificate(
        string number,
        CertificateStatus status = CertificateStatus.Issued,
        string partner = "BE",
        CertificateDirection direction = CertificateDirection.Outbound,
        string? statusReason = null,
        IEnumerable<HistoryEntry>? history = null,
        string? replaces = null) => HeldCertificate.Rehydrate(
            new CertificateSummary(
                number,
                ExportingParticipant: direction == CertificateDirection.Outbound ? "ZA" : partner,
                ImportingParticipant: direction == CertificateDirection.Outbound ? partner : "ZA",
                DateOfIssue: new DateOnly(2025, 3, 14),
                DateOfExpiry: new DateOnly(2025, 5, 13),
                Parcels: 3,
                Carats: new Carats(125_050),
                Value: new UsDollars(98_765_432),
                HsLines:
                [
                    new HsLine("7102.31", new Carats(100_000), new UsDollars(90_000_000)),
                    new HsLine("7102.21", new Carats(25_050), new UsDollars(8_765_432)),
                ],
                OriginCountries: ["ZA", "BW"],
                Replaces: replaces),
            direction, partner, "msg-" + number, Noon, status, statusReason, replacedBy: null, confirmationMessageId: null,
            voidMessageId: null, Noon, history ?? []);

    /// <summary>The same certificate moved to <paramref name="status"/> with a history step saying why, as a later write stores it.</summary>
    public static HeldCertificate Moved(HeldCertificate c, CertificateStatus status, string reason) => HeldCertificate.Rehydrate(
        c.Summary, c.Direction, c.Partner, c.MessageId, c.CreatedAt, status, reason, c.ReplacedBy, c.ConfirmationMessageId,
        c.VoidMessageId, Noon, [.. c.History, new HistoryEntry(Noon, status, reason)]);

    public static PartnerMessage OutboundMessage(
        string id,
        string partner,
        DateTime nextAttemptAt,
        MessageStatus status = MessageStatus.Pending,
        MessageDirection direction = MessageDirection.Outbound) => new()
        {
            Id = id,
            Direction = direction,
            Partner = partner,
            PayloadType = "application/vnd.kp.certificate-issued+protobuf",
            CertificateNumber = "ZA-2025-000001",
            Envelope = Envelope(id),
            PayloadSha256 = new byte[32],
            Status = status,
            NextAttemptAt = nextAttemptAt,
            DeliverBy = nextAttemptAt.AddDays(7),
            CreatedAt = nextAttemptAt,
        };

    // Every byte value, including ones a text round trip would mangle.
    public static byte[] Envelope(string seed)
    {
        var bytes = new byte[300];
        var offset = seed.Length;
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(i + offset);
        return bytes;
    }
}

/// <summary>
/// A plain write that holds the store's writer until <see cref="ReleaseAsync"/>, so that the durable writes started
/// meanwhile queue up (and run as one group once it is released).
/// </summary>
internal sealed class HeldWrite : IDisposable
{
    private readonly SyncPoint _held = new();
    private readonly Task<long> _write;
    private readonly INodeStore _store;

    private HeldWrite(INodeStore store, Func<IStoreWriter, long> work)
    {
        _store = store;
        _write = Task.Run(() => store.Write(w =>
        {
            // A store write is synchronous: the writer blocks here until the test continues it.
            _held.WaitToContinue().Wait();
            return work(w);
        }));
        // A write that fails before it holds the writer throws here instead of leaving the test waiting.
        Task.WaitAny(_held.WaitForSyncPoint(), _write);
        if (_write.IsFaulted)
            _write.GetAwaiter().GetResult();
    }

    /// <summary>Starts the write and returns once it holds the writer; <paramref name="work"/> runs when released.</summary>
    public static HeldWrite Start(INodeStore store, Func<IStoreWriter, long>? work = null) => new(store, work ?? (_ => 0));

    /// <summary>Waits until <paramref name="count"/> durable writes are queued behind the held write.</summary>
    public Task WaitForQueuedAsync(int count) =>
        Eventually.WaitAsync(() => _store.QueuedWrites >= count, TimeSpan.FromSeconds(30), $"{count} durable writes queued behind the held write");

    /// <summary>Lets the held write finish; returns what its work returned.</summary>
    public Task<long> ReleaseAsync()
    {
        _held.Continue();
        return _write;
    }

    public void Dispose() => _held.Continue();
}
