using KpNode.Wire.V1;

namespace KpNode.Tests.Hostile;

/// <summary>Well-formed messages made by hand, as a partner's node would send them, for tests to change or damage.</summary>
internal static class HostileInputs
{
    public static CertificateIssued Issued(string from, string to, Action<Certificate>? change = null)
    {
        var draft = KpNode.Cli.DemoDrafts.Draft(from, to);
        draft.Number = $"{from}-{DateTime.UtcNow.Year}-9{Random.Shared.Next(10_000, 99_999)}";
        draft.ExportingParticipant = from;
        draft.ExportingAuthority = $"KP authority of {from}";
        draft.DateOfIssue = DateTime.UtcNow.ToString("yyyy-MM-dd");
        draft.DateOfExpiry = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd");
        change?.Invoke(draft);
        return new CertificateIssued
        {
            Header = new MessageHeader
            {
                MessageId = Guid.CreateVersion7().ToString("D"),
                Sender = from,
                Receiver = to,
                CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
            },
            Certificate = draft,
        };
    }
}
