using System.Security.Cryptography;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    /// <summary>A certificate at every bound of <see cref="CertificateRules"/>, signed, with its chain, is well under this.</summary>
    public const int MaxDeliveredEnvelopeBytes = 64 * 1024;

    /// <summary>A business judgement on a delivered message, the lifecycle's decision already taken; <see cref="Apply"/> stores it once the receipt is signed.</summary>
    /// <remarks><paramref name="Note"/> is what an accepted message changed that the audit entry names, e.g. which revocation list.</remarks>
    private sealed record Judgement(ReceiptOutcome Outcome, ReceiptReason Reason, string Text, Action<IStoreWriter>? Apply = null, string Note = "")
    {
        public static Judgement Accept(Action<IStoreWriter> apply, string note = "") => new(ReceiptOutcome.Accepted, ReceiptReason.Unspecified, "", apply, note);

        // Bounded and escaped: it goes into our signed receipt, our audit log and the partner's screens.
        public static Judgement Reject(ReceiptReason reason, string text) => new(ReceiptOutcome.Rejected, reason, Printable.Of(text, MaxReceiptReasonLength));
    }

    /// <summary>A parsed, authorized delivery: its header, the certificate it concerns (as printable text: a partner wrote it), and how to judge it inside the transaction.</summary>
    /// <remarks><paramref name="AfterCommit"/> runs once an accepting answer is durable, e.g. to enforce a revocation list from then on.</remarks>
    private sealed record Inbound(MessageHeader Header, string CertificateNumber, Func<IStoreWriter, DateTime, Judgement> Judge, Action? AfterCommit = null);

    /// <summary>
    /// Takes a message a partner delivered: verify, authorize, judge, store durably, answer with our signed receipt.
    /// Security failures throw (no receipt, nothing stored); business refusals are signed rejections, stored so
    /// that a re-delivery gets the same answer.
    /// </summary>
    public Task<DeliveryAnswer> AcceptDeliveryAsync(Partner partner, Envelope envelope, CancellationToken ct) =>
        TakeAsync(partner, envelope, restoring: null, ct);

    /// <summary>
    /// Takes a message a partner delivered before, which this node lost (an older backup restored, a damaged file):
    /// the partner's envelope and our own receipt for it, as the partner holds them. Judged as at the receipt's time,
    /// as it was then, and stored with that receipt (no new one is signed), so both histories hold the same bytes
    /// again. <paramref name="receipt"/> must have been verified as ours and about this envelope.
    /// </summary>
    public Task<DeliveryAnswer> RestoreDeliveryAsync(Partner partner, Envelope envelope, RestoredReceipt receipt, CancellationToken ct) =>
        TakeAsync(partner, envelope, receipt, ct);

    private async Task<DeliveryAnswer> TakeAsync(Partner partner, Envelope envelope, RestoredReceipt? restoring, CancellationToken ct)
    {
        // Refused before anything is verified or stored: a signed rejection would be stored with the input.
        if (envelope.CalculateSize() is var size and > MaxDeliveredEnvelopeBytes)
        {
            throw WorkflowException.Invalid("envelope",
                $"{size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes is more than the {MaxDeliveredEnvelopeBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} a delivered message may take");
        }

        var now = restoring?.ReceivedAt ?? time.GetUtcNow();
        var verified = VerifyFromPartner(partner, envelope, now, "envelope");

        // Judged at the time of receipt, which our receipt will state. A notice is exempt: the root's signature on its CRL is its authority.
        if (verified.PayloadType != PayloadTypes.RevocationNotice && PartnerRevocation(partner, verified.SignerCertificate, now) is { } revocation)
        {
            Diagnostics.Log.RevokedCertificateRefused(logger, revocation.Describe());
            throw new WorkflowException(FailureKind.Unauthenticated,
                $"envelope: signed at {TrustChain.Format(now)} by a revoked key: {revocation.Describe()}; {partner.Code} must sign with a new signing certificate");
        }

        CheckSignerOffice(partner, verified.SignerCertificate, "envelope");
        var inbound = Kinds.TryGetValue(verified.PayloadType, out var kind) && kind.Arrived is { } arrived
            ? arrived(this, partner, verified)
            : throw WorkflowException.Invalid("payloadType", $"'{verified.PayloadType}' is not a message this node accepts by Deliver");
        var header = inbound.Header;
        var digest = verified.PayloadSha256;
        var envelopeBytes = envelope.ToByteArray();
        // Before the write: a throw inside it would roll back the writes grouped with this one.
        if (restoring is null)
            RefuseIfOwnKeyRevoked(PayloadTypes.Receipt);
        string? judgedOtherwise = null;
        var answer = await store.WriteDurableAsync<DeliveryAnswer?>(w =>
        {
            // Delivered before (a retry after a lost answer, or a concurrent delivery): the receipt it got then. Looked
            // up inside the write so that a concurrent delivery is seen too, and the insert below needs no second
            // lookup. An id reused for other content is answered null, not thrown: a throw would roll back the writes
            // grouped with this one.
            if (w.FindMessage(header.MessageId) is { } existing)
            {
                return SameMessage(existing, digest)
                    ? new DeliveryAnswer(Envelope.Parser.ParseFrom(existing.ReceiptEnvelope), existing.Status == MessageStatus.Received)
                    : null;
            }

            var utcNow = now.UtcDateTime;
            var judgement = inbound.Judge(w, utcNow);
            if (restoring is not null && restoring.Outcome != judgement.Outcome)
            {
                judgedOtherwise = $"our receipt says {restoring.Outcome}, but the message is {judgement.Outcome} when judged again as at {TrustChain.Format(now)}"
                    + (judgement.Text.Length > 0 ? $" ({judgement.Text})" : "");
                return null;
            }

            var receipt = restoring?.Bytes ?? SignReceipt(header.MessageId, digest, partner.Code, now, judgement.Outcome, judgement.Reason, judgement.Text);
            judgement.Apply?.Invoke(w);
            var accepted = judgement.Outcome == ReceiptOutcome.Accepted;
            w.InsertMessage(new PartnerMessage
            {
                Id = header.MessageId,
                Direction = MessageDirection.Inbound,
                Partner = partner.Code,
                PayloadType = verified.PayloadType,
                CertificateNumber = inbound.CertificateNumber,
                Envelope = envelopeBytes,
                PayloadSha256 = digest,
                Status = accepted ? MessageStatus.Received : MessageStatus.Rejected,
                NextAttemptAt = utcNow,
                DeliverBy = utcNow,
                CreatedAt = utcNow,
                CompletedAt = utcNow,
                ReceiptEnvelope = receipt,
                LastError = accepted ? null : judgement.Text,
            });
            w.Audit(partner.Code, $"{KindOf(verified.PayloadType).Word}.{(accepted ? "accepted" : "refused")}", inbound.CertificateNumber,
                $"message {header.MessageId}" + (accepted ? Accepted(w, inbound.CertificateNumber, judgement.Note) : $"; {judgement.Reason}: {judgement.Text}")
                + (restoring is null ? "" : $"; restored from {partner.Code}'s copy with our receipt of {TrustChain.Format(now)}"));
            return new DeliveryAnswer(Envelope.Parser.ParseFrom(receipt), accepted);
        }, ct);
        if (answer is { Accepted: true })
            inbound.AfterCommit?.Invoke();
        if (judgedOtherwise is not null)
            throw new WorkflowException(FailureKind.Conflict, $"message {header.MessageId}: not restored: {judgedOtherwise}");
        return answer ?? throw new WorkflowException(FailureKind.Conflict,
            $"header.messageId: message {header.MessageId} was already delivered with different content; a message id is never reused");
    }

    // What an accepted message left, in its audit entry: the certificate's new status ("; now Discrepancy"), which the
    // event stream reports (LocalApi/EventProjection), and the judgement's note.
    private static string Accepted(IStoreWriter w, string number, string note) =>
        (number.Length > 0 && w.FindCertificate(number) is { } cert ? $"; now {cert.Status}" : "") + (note.Length > 0 ? $"; {note}" : "");

    /// <summary>An envelope <paramref name="partner"/> sent, verified against its roots at <paramref name="at"/> and signed by it; <paramref name="field"/> names it in a refusal.</summary>
    private VerifiedEnvelope VerifyFromPartner(Partner partner, Envelope envelope, DateTimeOffset at, string field)
    {
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(envelope, partner.Anchors, at);
        }
        // An envelope assembled wrongly (a repeated certificate or signer, an empty field) is bad input, whoever signed
        // it; only a signature or chain that fails is a failed proof of identity.
        catch (EnvelopeVerificationException e) when (e.Check == VerificationCheck.Structure)
        {
            throw WorkflowException.Invalid(e.Field.Length == 0 ? field : $"{field}.{e.Field}", e.Reason);
        }
        catch (EnvelopeVerificationException e)
        {
            throw new WorkflowException(FailureKind.Unauthenticated, $"{field}: {e.Message}");
        }

        if (verified.SignerParticipant != partner.Code)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"{field}: signed by {verified.SignerParticipant} but delivered by {partner.Code}; a partner may deliver only messages it signed itself");
        }

        return verified;
    }

    private void CheckHeader(MessageHeader? header, Partner partner)
    {
        if (header is null || !MessageIds.IsWellFormed(header.MessageId))
        {
            throw WorkflowException.Invalid("header.messageId", $"'{header?.MessageId}' is not a UUID in canonical form");
        }

        if (header.Sender != partner.Code)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"header.sender: the message says it is from {Show(header.Sender)} but was delivered by {partner.Code}");
        }

        if (header.Receiver != Us)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"header.receiver: the message is addressed to {Show(header.Receiver)}, this node is {Us}");
        }
    }

    /// <summary>Whether a stored message is the one delivered again: received from a partner, with the same payload.</summary>
    private static bool SameMessage(PartnerMessage existing, byte[] digest) =>
        existing.Direction == MessageDirection.Inbound && CryptographicOperations.FixedTimeEquals(existing.PayloadSha256, digest);

    /// <summary>Exporter -> us: a new certificate. Only its exporter may send it, and only to us.</summary>
    private Inbound CertificateArrived(Partner partner, CertificateIssued issued, string? signerOffice)
    {
        CheckHeader(issued.Header, partner);
        var certificate = issued.Certificate ?? new Wire.V1.Certificate();
        if (certificate.IssuingOffice != (signerOffice ?? ""))
        {
            throw new WorkflowException(FailureKind.PermissionDenied, signerOffice is null
                ? $"certificate.issuingOffice: the certificate names office {Printable.Of(certificate.IssuingOffice, 40)}, but {partner.Code}'s signing key for the whole participant signed it; an office's certificate is signed by that office's key"
                : $"certificate.issuingOffice: the certificate names {(certificate.IssuingOffice.Length == 0 ? "no office" : "office " + Printable.Of(certificate.IssuingOffice, 40))}, but office {signerOffice} signed it");
        }

        var office = partner.Offices.FirstOrDefault(o => o.Code == signerOffice);
        if (certificate.ExportingParticipant != partner.Code)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"certificate.exportingParticipant: the certificate names {Show(certificate.ExportingParticipant)} as exporter but was delivered and signed by {partner.Code}");
        }

        if (certificate.ImportingParticipant != Us)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"certificate.importingParticipant: the certificate is for {Show(certificate.ImportingParticipant)}, not for {Us}");
        }

        var draft = CertificateMapping.ToDraft(certificate);
        // Over a bound: refused whole and stored nowhere, so a partner retrying it costs us nothing.
        if (CertificateRules.Oversized(draft) is { Count: > 0 } oversized)
        {
            throw WorkflowException.Invalid(oversized);
        }

        var result = CertificateRules.Validate(draft,
            CertificateRulesContext.ForReceived(Today, partner.NumberPrefixes) with { AdmittedParticipants = config.AdmittedParticipants });
        return new Inbound(issued.Header, Printable.Of(certificate.Number, CertificateRules.MaxCodeLength), (w, now) =>
        {
            if (!result.IsValid)
            {
                return Judgement.Reject(ReceiptReason.InvalidCertificate,
                    string.Join("; ", result.Violations.Select(v => $"{v.Field}: {v.Rule}")));
            }

            var valid = result.Certificate;
            // Valid through its date of expiry, which its issuer set after its own today: a day of clock skew never refuses it, an expired one is refused.
            if (valid.DateOfExpiry < DateOf(now))
            {
                return Judgement.Reject(ReceiptReason.Expired, $"dateOfExpiry: the certificate expired on {KpDate.Text(valid.DateOfExpiry)}");
            }

            if (office is not null && valid.ExportingAuthority != office.ExportingAuthority)
            {
                return Judgement.Reject(ReceiptReason.InvalidCertificate,
                    $"exportingAuthority: '{valid.ExportingAuthority}' is not the competent authority of {partner.Code}'s office {office.Code}; it is '{office.ExportingAuthority}' ({PartnerOfficesKey(partner.Code)})");
            }

            if (office is not null && !valid.Number.StartsWith(office.NumberPrefix + "-", StringComparison.Ordinal))
            {
                return Judgement.Reject(ReceiptReason.InvalidCertificate,
                    $"number: {valid.Number} does not begin with {office.NumberPrefix}, the number prefix of {partner.Code}'s office {office.Code} ({PartnerOfficesKey(partner.Code)})");
            }

            if (office is null && AnnouncedAuthority(partner.Code) is { Length: > 0 } announced && valid.ExportingAuthority != announced)
            {
                return Judgement.Reject(ReceiptReason.InvalidCertificate,
                    $"exportingAuthority: '{valid.ExportingAuthority}' is not {partner.Code}'s competent authority; {partner.Code} announced '{announced}' ({PartnerAuthorityKey(partner.Code)})");
            }

            if (_policy.RefusalToAccept(valid, partner.Policy) is { } refusal)
            {
                return Judgement.Reject(ReceiptReason.Policy, refusal);
            }

            if (w.FindCertificate(valid.Number) is not null)
            {
                return Judgement.Reject(ReceiptReason.DuplicateNumber, $"number: a certificate {valid.Number} is already held here from another message");
            }

            return Judgement.Accept(w2 =>
            {
                w2.InsertCertificate(HeldCertificate.Receive(valid, partner.Code, issued.Header.MessageId, now));
                // The exporter's word links its replacement to a certificate it sent us; any other is not ours to link.
                if (valid.Replaces is { } replacedNumber && w2.FindCertificate(replacedNumber) is { Direction: Domain.CertificateDirection.Inbound } replaced
                    && replaced.Replace(valid.Number, partner.Code, now) is null)
                {
                    w2.UpdateCertificate(replaced);
                }
            });
        });
    }

    /// <summary>
    /// The competent authority <paramref name="partner"/> announced (for now its entry in our configuration, later its
    /// partner card); empty when none is configured, and then any authority the certificate names is accepted.
    /// </summary>
    private string AnnouncedAuthority(string partner) =>
        partners.Find(partner)?.ExportingAuthority ?? "";

    private string PartnerOfficesKey(string partner) =>
        Configuration.ConfigKeys.Partner(partners.Find(partner)?.ConfigIndex ?? -1, "Offices");

    /// <summary>
    /// An envelope signed by one of the partner's offices: the office must be well-formed and, when we configured the
    /// partner's offices, one of them. Its root vouches for the office; our configuration says which offices we know.
    /// </summary>
    private void CheckSignerOffice(Partner partner, System.Security.Cryptography.X509Certificates.X509Certificate2 signer, string field)
    {
        var office = ParticipantIdentity.OfficeFromCertificate(signer);
        if (office is null && ParticipantIdentity.NamesAnyOffice(signer))
        {
            throw new WorkflowException(FailureKind.PermissionDenied, $"{field}: the signing certificate names a malformed office or more than one");
        }

        if (office is not null && partner.Offices.Count > 0 && partner.Offices.All(o => o.Code != office))
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"{field}: signed by office {office}, which is not one of {partner.Code}'s offices ({string.Join(", ", partner.Offices.Select(o => o.Code))}; {PartnerOfficesKey(partner.Code)})");
        }
    }

    private string PartnerAuthorityKey(string partner) =>
        Configuration.ConfigKeys.Partner(partners.Find(partner)?.ConfigIndex ?? -1, "ExportingAuthority");

    /// <summary>The certificate exchanged with <paramref name="partner"/> in <paramref name="direction"/>, or null for any other.</summary>
    private static HeldCertificate? Held(IStoreWriter w, string number, Domain.CertificateDirection direction, string partner) =>
        w.FindCertificate(number) is { } cert && cert.Direction == direction && cert.Partner == partner ? cert : null;

    /// <summary>Exporter -> us: a certificate it issued to us is void.</summary>
    private Inbound VoidArrived(Partner partner, CertificateVoided voided)
    {
        CheckHeader(voided.Header, partner);
        return new Inbound(voided.Header, Printable.Of(voided.CertificateNumber, CertificateRules.MaxCodeLength), (w, now) =>
        {
            var cert = Held(w, voided.CertificateNumber, Domain.CertificateDirection.Inbound, partner.Code);
            if (cert is null)
            {
                return Judgement.Reject(ReceiptReason.UnknownCertificate,
                    $"certificateNumber: {partner.Code} issued no certificate {voided.CertificateNumber} to {Us}");
            }

            if (VoidReasonProblem(voided.Reason) is { } problem)
            {
                return Judgement.Reject(ReceiptReason.InvalidMessage, problem.ToString());
            }

            if (cert.VoidByExporter(partner.Code, voided.Reason, voided.Header.MessageId, now) is { } refusal)
            {
                return Judgement.Reject(ReceiptReason.InvalidState, refusal.ToString());
            }

            return Judgement.Accept(w2 => w2.UpdateCertificate(cert));
        });
    }

    /// <summary>Importer -> us: what arrived for a certificate we issued to it.</summary>
    private Inbound ConfirmationArrived(Partner partner, ImportConfirmation confirmation)
    {
        CheckHeader(confirmation.Header, partner);
        return new Inbound(confirmation.Header, Printable.Of(confirmation.CertificateNumber, CertificateRules.MaxCodeLength), (w, now) =>
        {
            var cert = Held(w, confirmation.CertificateNumber, Domain.CertificateDirection.Outbound, partner.Code);
            if (cert is null)
            {
                // The same answer for unknown and foreign certificates: a partner learns nothing of others' trade.
                return Judgement.Reject(ReceiptReason.UnknownCertificate,
                    $"certificateNumber: {Us} issued no certificate {confirmation.CertificateNumber} to {partner.Code}");
            }

            var report = ImportReportMapping.ToDomain(confirmation);
            var violations = ImportReportRules.Check(report, DateOf(now));
            if (violations.Count > 0)
            {
                return Judgement.Reject(ReceiptReason.InvalidMessage, string.Join("; ", violations.Select(v => $"{v.Field}: {v.Rule}")));
            }

            if (cert.RecordConfirmation(report, partner.Code, confirmation.Header.MessageId, now) is { } refusal)
            {
                return Judgement.Reject(ReceiptReason.InvalidState, refusal.ToString());
            }

            return Judgement.Accept(w2 => w2.UpdateCertificate(cert));
        });
    }
}

/// <summary>Our signed receipt for a delivered message, and whether it accepts the message.</summary>
internal sealed record DeliveryAnswer(Envelope Receipt, bool Accepted);
