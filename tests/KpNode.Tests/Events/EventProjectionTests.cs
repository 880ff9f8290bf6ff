using KpNode.LocalApi;
using KpNode.Storage;
using KpNode.Wire.V1;

namespace KpNode.Tests.Events;

/// <summary>Which audit entries are events, for the kinds the integration tests do not reach in seconds (expiry, an operator's cancel).</summary>
public sealed class EventProjectionTests
{
    private static NodeEvent? Project(string actor, string action, string subject, string detail) =>
        EventProjection.Project(new AuditEntry { Id = 7, At = DateTime.UtcNow, Actor = actor, Action = action, Subject = subject, Detail = detail },
            number => number == "ZA-2026-000001" ? "BE" : null);

    [Fact]
    public void An_expiry_is_expired_and_one_never_delivered_is_undeliverable_also_as_written_before_the_undeliverable_action()
    {
        Assert.Equal((EventKind.CertificateExpired, CertificateStatus.Expired, "BE"),
            Project("expiry", "certificate.expired", "ZA-2026-000001", "expired on 2026-12-01 without import confirmation") is { } e ? (e.Kind, e.Status, e.Partner) : default);
        Assert.Equal(EventKind.CertificateUndeliverable, Project("expiry", "certificate.undeliverable", "ZA-2026-000001", "never delivered to BE; expired on 2026-12-01 without import confirmation")?.Kind);
        Assert.Equal(EventKind.CertificateUndeliverable, Project("expiry", "certificate.expired", "ZA-2026-000001", "never delivered to BE; expired on 2026-12-01 without import confirmation")?.Kind);
    }

    [Fact]
    public void A_receipt_moves_only_its_certificate_and_a_follow_ups_receipt_is_no_event()
    {
        Assert.Equal(EventKind.CertificateDelivered, Project("BE", "receipt.accepted", "ZA-2026-000001", "message m1 (certificate)")?.Kind);
        Assert.Null(Project("BE", "receipt.accepted", "ZA-2026-000001", "message m2 (void)"));
        Assert.Null(Project("BE", "receipt.accepted", "ZA-2026-000001", "message m3 (confirmation)"));
    }

    [Fact]
    public void A_confirmation_arriving_carries_the_status_it_left_and_an_entry_of_no_event_is_skipped()
    {
        Assert.Equal(CertificateStatus.Detained, Project("BE", "confirmation.accepted", "ZA-2026-000001", "message m1; now Detained")?.Status);
        Assert.Equal(CertificateStatus.Confirmed, Project("BE", "confirmation.accepted", "ZA-2026-000001", "message m1")?.Status);
        Assert.Null(Project("op", "certificate.issued", "ZA-2026-000001", "to BE"));
        Assert.Equal("7", Project("op", "certificate.voided", "ZA-2026-000001", "not sent")?.Cursor);
    }
}
