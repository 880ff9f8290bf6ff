using KpNode.Domain;
using KpNode.Wire;

namespace KpNode.Tests.Domain;

/// <summary>The lifecycle of a held certificate: each change of status with its guard, decided in one place.</summary>
public sealed class HeldCertificateTests
{
    private static readonly DateTime Now = new(2026, 7, 10, 12, 0, 0, DateTimeKind.Utc);

    private static Certificate Valid() => Drafts.AssertValid(Drafts.ZaToBe());

    private static HeldCertificate Issued() => HeldCertificate.Issue(Valid(), "BE", "m-1", "operator:alice", Now);

    private static HeldCertificate Received() => HeldCertificate.Receive(Valid(), "ZA", "m-1", Now);

    private static ImportReport Report(ImportOutcome outcome, int parcels, string remarks = "") =>
        new("ZA-2026-000123", outcome, parcels, Valid().Carats.Hundredths, 0, "2026-07-12", remarks);

    [Fact]
    public void Issuing_derives_the_summary_from_the_signed_certificate_and_starts_the_history()
    {
        var held = Issued();

        Assert.Equal(CertificateStatus.Issued, held.Status);
        Assert.Equal(CertificateSummary.Of(Valid()), held.Summary);
        Assert.Equal("Issued by operator:alice; delivery to BE queued", Assert.Single(held.History).Text);
    }

    [Fact]
    public void A_receipt_delivers_an_issued_certificate_and_only_notes_one_that_moved_on()
    {
        var held = Issued();
        Assert.Equal(CertificateStatus.Delivered, held.Deliver("BE", Now));

        var voided = Issued();
        Assert.Null(voided.Void("operator", "shipment not sent", "m-2", importerTold: true, Now));
        Assert.Equal(CertificateStatus.Voided, voided.Deliver("BE", Now));
        Assert.Equal("BE signed a receipt", voided.History[^1].Text);
    }

    [Fact]
    public void A_rejecting_receipt_rejects_with_the_partners_reason()
    {
        var held = Issued();

        Assert.Equal(CertificateStatus.Rejected, held.Reject("BE", "Policy", "suspended", Now));
        Assert.Equal("Policy: suspended", held.StatusReason);
    }

    [Fact]
    public void Only_the_exporter_voids_and_never_a_confirmed_or_voided_certificate()
    {
        Assert.Contains("only the exporting authority can void it", Received().Void("operator", "x", "m-2", true, Now)!.Rule);

        var held = Issued();
        Assert.Null(held.Void("operator", "shipment not sent", "m-2", importerTold: false, Now));
        Assert.Equal("m-2", held.VoidMessageId);
        Assert.EndsWith("BE never held it, nothing to send", held.History[^1].Text);
        Assert.Contains("is already voided (shipment not sent)", held.Void("operator", "again", "m-3", true, Now)!.Rule);

        var confirmed = Received();
        Assert.Null(confirmed.ConfirmImport(Report(ImportOutcome.Confirmed, Valid().Parcels), "operator", "m-2", Now));
        Assert.Contains("already Confirmed here and cannot be voided", confirmed.VoidByExporter("ZA", "x", "m-3", Now)!.Rule);
    }

    [Fact]
    public void The_importer_confirms_only_with_an_outcome_that_agrees_with_the_figures()
    {
        var held = Received();

        var refusal = held.ConfirmImport(Report(ImportOutcome.Confirmed, Valid().Parcels + 1), "operator", "m-2", Now);
        Assert.Equal("outcome", refusal!.Field);
        Assert.Equal(CertificateStatus.Received, held.Status);

        Assert.Null(held.ConfirmImport(Report(ImportOutcome.Discrepancy, Valid().Parcels + 1), "operator", "m-2", Now));
        Assert.Equal(CertificateStatus.Discrepancy, held.Status);
        Assert.StartsWith("parcels: certificate", held.StatusReason);
        Assert.Contains("is already Discrepancy", held.ConfirmImport(Report(ImportOutcome.Confirmed, Valid().Parcels), "operator", "m-3", Now)!.Rule);
        Assert.Contains("was issued by this node", Issued().ConfirmImport(Report(ImportOutcome.Confirmed, Valid().Parcels), "operator", "m-2", Now)!.Rule);
    }

    [Fact]
    public void A_detained_certificate_is_released_once_as_confirmed_or_discrepancy_at_the_importer_and_then_settled()
    {
        var held = Received();
        Assert.Null(held.ConfirmImport(Report(ImportOutcome.Detained, 0, "held for inspection"), "operator", "m-2", Now));
        Assert.Contains("record its release with outcome confirmed or discrepancy",
            held.ConfirmImport(Report(ImportOutcome.Detained, 0, "again"), "operator", "m-3", Now)!.Rule);

        Assert.Null(held.ConfirmImport(Report(ImportOutcome.Confirmed, Valid().Parcels), "operator", "m-3", Now));
        Assert.Equal(CertificateStatus.Confirmed, held.Status);
        Assert.Equal("m-3", held.ConfirmationMessageId);
        Assert.StartsWith("Released from detention (held for inspection): Confirmed by operator", held.History[^1].Text);
        Assert.Contains("is already Confirmed", held.ConfirmImport(Report(ImportOutcome.Discrepancy, Valid().Parcels + 1), "operator", "m-4", Now)!.Rule);

        var short1 = Received();
        short1.ConfirmImport(Report(ImportOutcome.Detained, 0, "held"), "operator", "m-2", Now);
        Assert.Null(short1.ConfirmImport(Report(ImportOutcome.Discrepancy, Valid().Parcels - 1), "operator", "m-3", Now));
        Assert.Equal(CertificateStatus.Discrepancy, short1.Status);
    }

    [Fact]
    public void The_exporter_records_the_release_of_a_detained_certificate_from_the_importers_confirmation()
    {
        var held = Issued();
        held.Deliver("BE", Now);
        Assert.Null(held.RecordConfirmation(Report(ImportOutcome.Detained, 0, "held"), "BE", "m-2", Now));
        Assert.Equal(CertificateStatus.Detained, held.Status);

        Assert.Null(held.RecordConfirmation(Report(ImportOutcome.Confirmed, Valid().Parcels), "BE", "m-3", Now));
        Assert.Equal(CertificateStatus.Confirmed, held.Status);
        Assert.StartsWith("Released from detention (held): Confirmed by BE", held.History[^1].Text);
    }

    [Fact]
    public void A_detained_certificate_can_be_voided_by_its_exporter_on_both_sides_and_a_settled_one_cannot()
    {
        var exporter = Issued();
        exporter.Deliver("BE", Now);
        exporter.RecordConfirmation(Report(ImportOutcome.Detained, 0, "held"), "BE", "m-2", Now);
        Assert.Null(exporter.Void("operator", "goods forfeited", "m-3", importerTold: true, Now));
        Assert.Equal(CertificateStatus.Voided, exporter.Status);

        var importer = Received();
        importer.ConfirmImport(Report(ImportOutcome.Detained, 0, "held"), "operator", "m-2", Now);
        Assert.Null(importer.VoidByExporter("ZA", "goods forfeited", "m-3", Now));
        Assert.Equal(CertificateStatus.Voided, importer.Status);
        Assert.Contains("voided", importer.ConfirmImport(Report(ImportOutcome.Confirmed, Valid().Parcels), "operator", "m-4", Now)!.Rule);

        var settled = Issued();
        settled.RecordConfirmation(Report(ImportOutcome.Confirmed, Valid().Parcels), "BE", "m-2", Now);
        Assert.Contains("cannot be voided", settled.Void("operator", "x", "m-3", true, Now)!.Rule);
    }

    [Fact]
    public void Past_expiry_an_undelivered_certificate_becomes_undeliverable_and_a_delivered_one_expired()
    {
        var afterExpiry = Valid().DateOfExpiry.AddDays(1);

        var undelivered = Issued();
        Assert.Null(undelivered.Expire(Valid().DateOfExpiry, Now));
        Assert.Equal(CertificateStatus.Undeliverable, undelivered.Expire(afterExpiry, Now));
        Assert.StartsWith("never delivered to BE", undelivered.StatusReason);

        var delivered = Issued();
        delivered.Deliver("BE", Now);
        Assert.Equal(CertificateStatus.Expired, delivered.Expire(afterExpiry, Now));
        Assert.Null(delivered.Expire(afterExpiry, Now));
    }

    [Fact]
    public void A_missed_delivery_deadline_gives_up_only_the_issued_certificate_its_message_carried()
    {
        var held = Issued();

        Assert.False(held.MissedDeliveryDeadline("m-other", "late", Now));
        Assert.True(held.MissedDeliveryDeadline("m-1", "late", Now));
        Assert.Equal(CertificateStatus.Undeliverable, held.Status);
        Assert.False(held.MissedDeliveryDeadline("m-1", "late", Now));
    }

    [Fact]
    public void An_exporter_replaces_only_its_voided_certificate_once_by_one_to_the_same_importer()
    {
        var held = Issued();
        Assert.Contains("only once it is voided", held.Replace("ZA-2026-000124", "BE", Now)!.Rule);

        held.Void("operator", "wrong weight", "m-2", true, Now);
        Assert.Contains("same importer (BE)", held.Replace("ZA-2026-000124", "AE", Now)!.Rule);
        Assert.Null(held.Replace("ZA-2026-000124", "BE", Now));
        Assert.Equal("ZA-2026-000124", held.ReplacedBy);
        Assert.Contains("already replaced by ZA-2026-000124", held.Replace("ZA-2026-000125", "BE", Now)!.Rule);
    }

    [Fact]
    public void Every_status_and_direction_survives_a_trip_over_the_wire()
    {
        foreach (var status in Enum.GetValues<CertificateStatus>())
        {
            Assert.Equal(status, StatusMapping.ToDomain(StatusMapping.ToWire(status)));
            Assert.Equal(status, StatusMapping.ParseName(StatusMapping.Name(StatusMapping.ToWire(status))));
        }

        foreach (var direction in Enum.GetValues<CertificateDirection>())
            Assert.Equal(direction, StatusMapping.ToDomain(StatusMapping.ToWire(direction)));
        foreach (var outcome in Enum.GetValues<ImportOutcome>())
            Assert.Equal(outcome, StatusMapping.ToDomain(StatusMapping.ToWire(outcome)));
        Assert.Null(StatusMapping.ToDomain(KpNode.Wire.V1.CertificateStatus.Unspecified));
        Assert.Equal("-", StatusMapping.Name(KpNode.Wire.V1.CertificateStatus.Unspecified));
    }

    [Theory]
    [InlineData("ZA", true)]
    [InlineData("BEANR", true)]
    [InlineData("1A", false)]
    [InlineData("za", false)]
    [InlineData("ABCDEFGHI", false)]
    public void A_participant_code_is_two_to_eight_capitals_or_digits_a_capital_first(string code, bool wellFormed)
    {
        Assert.Equal(wellFormed, ParticipantCode.IsWellFormed(code));
    }
}
