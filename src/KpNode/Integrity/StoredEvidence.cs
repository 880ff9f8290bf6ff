using System.Security.Cryptography;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using CertificateDirection = KpNode.Domain.CertificateDirection;
using CertificateStatus = KpNode.Domain.CertificateStatus;

namespace KpNode.Integrity;

/// <summary>
/// Checks what the store holds against the signatures that make it evidence: a message's envelope and receipt
/// verify and are about that message, and a held certificate's figures, direction, partner and status are the ones
/// its signed messages carry. The node signs, answers and counts only what passed here; anything else is a
/// <see cref="DamagedRecordException"/> naming the record.
/// </summary>
internal sealed class StoredEvidence(EnvelopeVerifier verifier, NodeCredentials credentials, Partners partners, TimeProvider time)
{
    private const int VerifiedLimit = 50_000;

    private readonly IReadOnlyCollection<System.Security.Cryptography.X509Certificates.X509Certificate2> _ownAnchors = credentials.Anchors;
    // Envelopes (by signer, time and SHA-256 of their bytes) whose signature verified in this process.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _verified = new(StringComparer.Ordinal);

    private string Us => credentials.Participant;

    /// <summary>
    /// The signed certificate <paramref name="held"/> stands for, after checking its message (envelope and receipt)
    /// and, with <paramref name="followUps"/>, the void and confirmation its status rests on (a list, which shows no
    /// evidence, goes without). <paramref name="find"/> reads a message by id (the store, or the transaction's writer).
    /// </summary>
    public Wire.V1.Certificate Certificate(HeldCertificate held, Func<string, PartnerMessage?> find, bool followUps = true)
    {
        var record = $"certificate {held.Number}";
        var issued = find(held.MessageId) ?? throw new DamagedRecordException(record, $"the message {held.MessageId} that carried it is missing");
        var payload = Message(issued);
        if (issued.PayloadType != PayloadTypes.CertificateIssued)
            throw new DamagedRecordException(record, $"its message {issued.Id} carries a {issued.PayloadType}, not the certificate");

        var certificate = CertificateIssued.Parser.ParseFrom(payload).Certificate ?? new Wire.V1.Certificate();
        var direction = issued.Direction == MessageDirection.Outbound ? CertificateDirection.Outbound : CertificateDirection.Inbound;
        if (held.Direction != direction || held.Partner != issued.Partner)
            throw new DamagedRecordException(record, $"it is stored as {held.Direction} with {held.Partner}, but its signed message is {direction} with {issued.Partner}");
        if (CertificateMapping.ToSummary(certificate) is not { } signed)
            throw new DamagedRecordException(record, "its signed certificate has no valid dates");
        if (Differences(held.Summary, signed) is { Count: > 0 } differences)
            throw new DamagedRecordException(record, "its stored figures differ from the signed certificate: " + string.Join("; ", differences));

        if (followUps)
            CheckStatus(held, issued, find, record);
        return certificate;
    }

    /// <summary>
    /// Checks a stored message: its envelope verifies (signed by us when outbound, by its partner when inbound) and
    /// is this message, and its receipt, when it has one, verifies and acknowledges exactly this payload. Returns the
    /// verified payload bytes.
    /// </summary>
    /// <remarks>
    /// Each signature is judged at the time it was made, as the other party attests it: an envelope with a receipt at
    /// the receipt's signed time of receipt (the receiver's countersignature binds the payload's SHA-256 to it), the
    /// receipt at that time too; one of ours still waiting for its receipt at the time its own signed header states
    /// (we made it: the question here is whether the record is intact, not whether a partner would take it today),
    /// any other at the time of verification. A signer certificate that expired since still proves what it signed
    /// while it was valid.
    /// </remarks>
    public byte[] Message(PartnerMessage message)
    {
        var record = Name(message);
        var outbound = message.Direction == MessageDirection.Outbound;
        var received = message.ReceiptEnvelope is { } receiptBytes ? ReceiptTime(receiptBytes) : null;
        var signedAt = received ?? (outbound ? OwnSigningTime(message.Envelope) : null);
        var payload = Verified(record, "envelope", message.Envelope, outbound ? Us : message.Partner, signedAt);
        if (payload.PayloadType != message.PayloadType)
            throw new DamagedRecordException(record, $"it is stored as a {message.PayloadType} but its envelope carries a {payload.PayloadType}");
        if (!CryptographicOperations.FixedTimeEquals(payload.PayloadSha256, message.PayloadSha256))
            throw new DamagedRecordException(record, "its stored SHA-256 is not that of the payload its envelope carries");

        var (header, number) = HeaderOf(record, payload);
        var (sender, receiver) = outbound ? (Us, message.Partner) : (message.Partner, Us);
        if (header is null || header.MessageId != message.Id || header.Sender != sender || header.Receiver != receiver)
            throw new DamagedRecordException(record, $"its envelope is message {header?.MessageId} from {header?.Sender} to {header?.Receiver}, not {message.Id} from {sender} to {receiver}");
        if ((outbound ? number : Printable.Of(number, CertificateRules.MaxCodeLength)) != message.CertificateNumber)
            throw new DamagedRecordException(record, $"its envelope is about certificate {Printable.Of(number, CertificateRules.MaxCodeLength)}, not {message.CertificateNumber}");

        CheckReceipt(message, record, outbound, received);
        return payload.Payload.ToArray();
    }

    /// <summary>
    /// Checks a kept authenticity statement: its envelope verifies, at the time it says it answered, as signed by its
    /// issuer (us when we answered, the partner when we asked), and it is the statement the record says it is.
    /// </summary>
    public AuthenticityStatement Statement(StoredAuthenticityStatement kept)
    {
        var record = $"authenticity statement {kept.Id} about certificate {kept.CertificateNumber}";
        var (issuer, asker) = kept.Role == AuthenticityRole.Answered ? (Us, kept.Partner) : (kept.Partner, Us);
        AuthenticityStatement claimed;
        try
        {
            var envelope = Envelope.Parser.ParseFrom(kept.Envelope);
            claimed = envelope.PayloadType == PayloadTypes.AuthenticityStatement ? AuthenticityStatement.Parser.ParseFrom(envelope.Payload)
                : throw new DamagedRecordException(record, $"its envelope carries a {envelope.PayloadType}");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DamagedRecordException(record, $"its envelope is not a valid authenticity statement ({e.Message})");
        }

        var signed = Verified(record, "envelope", kept.Envelope, issuer, claimed.AnsweredAt?.ToDateTime()
            ?? throw new DamagedRecordException(record, "its statement states no time of answer"));
        var statement = AuthenticityStatement.Parser.ParseFrom(signed.Payload.Span);
        if (statement.CertificateNumber != kept.CertificateNumber || statement.Issuer != issuer || statement.AskedBy != asker)
            throw new DamagedRecordException(record, $"its envelope is {statement.Issuer}'s statement on {Printable.Of(statement.CertificateNumber, CertificateRules.MaxCodeLength)} for {statement.AskedBy}");
        return statement;
    }

    // The time our own header states; the signature checked at that time covers it, so an altered time fails the check.
    private static DateTime? OwnSigningTime(byte[] envelopeBytes)
    {
        try
        {
            return HeaderOnly.Parser.ParseFrom(Envelope.Parser.ParseFrom(envelopeBytes).Payload).Header?.CreatedAt?.ToDateTime();
        }
        catch (InvalidProtocolBufferException)
        {
            return null; // Verified names what is wrong with it
        }
    }

    // The time of receipt a receipt states; verified with the receipt itself, in CheckReceipt.
    private static DateTime? ReceiptTime(byte[] receiptEnvelope)
    {
        try
        {
            var envelope = Envelope.Parser.ParseFrom(receiptEnvelope);
            return envelope.PayloadType == PayloadTypes.Receipt && Receipt.Parser.ParseFrom(envelope.Payload).ReceivedAt is { } at ? at.ToDateTime() : null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null; // CheckReceipt names what is wrong with it
        }
    }

    private void CheckReceipt(PartnerMessage message, string record, bool outbound, DateTime? received)
    {
        var answered = outbound
            ? message.Status is MessageStatus.Delivered or MessageStatus.Rejected
            : message.Status is MessageStatus.Received or MessageStatus.Rejected;
        if (message.ReceiptEnvelope is not { } receiptBytes)
        {
            if (answered)
                throw new DamagedRecordException(record, $"it is {message.Status} but holds no receipt");
            return;
        }

        var (sender, receiver) = outbound ? (Us, message.Partner) : (message.Partner, Us);
        var verified = Verified(record, "receipt", receiptBytes, receiver, received);
        Receipt receipt;
        try
        {
            receipt = verified.PayloadType == PayloadTypes.Receipt ? Receipt.Parser.ParseFrom(verified.Payload.Span)
                : throw new DamagedRecordException(record, $"its receipt carries a {verified.PayloadType}");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DamagedRecordException(record, $"its receipt's payload is not a receipt ({e.Message})");
        }

        if (received is null)
            throw new DamagedRecordException(record, "its receipt states no time of receipt");
        if (receipt.MessageId != message.Id || receipt.Sender != sender || receipt.Receiver != receiver)
            throw new DamagedRecordException(record, $"its receipt acknowledges message {receipt.MessageId} from {receipt.Sender} to {receipt.Receiver}");
        if (!CryptographicOperations.FixedTimeEquals(receipt.PayloadSha256.Span, message.PayloadSha256))
            throw new DamagedRecordException(record, "its receipt acknowledges another payload (the SHA-256 differs)");
        var accepted = receipt.Outcome == ReceiptOutcome.Accepted;
        var expected = outbound ? (accepted ? MessageStatus.Delivered : MessageStatus.Rejected) : (accepted ? MessageStatus.Received : MessageStatus.Rejected);
        // An operator may cancel a message whose receipt came later (kept as proof, the message stays cancelled).
        if (message.Status != expected && message.Status != MessageStatus.Cancelled)
            throw new DamagedRecordException(record, $"it is stored as {message.Status} but its receipt says {receipt.Outcome}");
    }

    // A status is backed by a signed message: voided by the void, confirmed by the confirmation, delivered by the receipt.
    private void CheckStatus(HeldCertificate held, PartnerMessage issued, Func<string, PartnerMessage?> find, string record)
    {
        var status = held.Status;
        if ((status == CertificateStatus.Voided) != (held.VoidMessageId is not null))
            throw new DamagedRecordException(record, held.VoidMessageId is null ? "it is Voided but holds no void message" : $"it holds void message {held.VoidMessageId} but is {status}");
        if (held.VoidMessageId is { } voidId)
        {
            var voided = FollowUp(find, voidId, PayloadTypes.CertificateVoided, record);
            if (CertificateVoided.Parser.ParseFrom(voided).CertificateNumber != held.Number)
                throw new DamagedRecordException(record, $"its void message {voidId} is about another certificate");
        }

        var confirmed = status is CertificateStatus.Confirmed or CertificateStatus.Discrepancy or CertificateStatus.Detained;
        if (confirmed && held.ConfirmationMessageId is null)
            throw new DamagedRecordException(record, $"it is {status} but holds no import confirmation");
        if (held.ConfirmationMessageId is { } confirmationId)
        {
            var confirmation = ImportConfirmation.Parser.ParseFrom(FollowUp(find, confirmationId, PayloadTypes.ImportConfirmation, record));
            if (confirmation.CertificateNumber != held.Number)
                throw new DamagedRecordException(record, $"its import confirmation {confirmationId} is about another certificate");
            if (confirmed && ImportReportMapping.ToDomain(confirmation).Status != status)
                throw new DamagedRecordException(record, $"it is {status} but its signed import confirmation says {confirmation.Outcome}");
        }

        var backed = status switch
        {
            CertificateStatus.Delivered => issued.Status == MessageStatus.Delivered,
            CertificateStatus.Rejected => issued.Status == MessageStatus.Rejected,
            CertificateStatus.Received => issued.Status == MessageStatus.Received,
            _ => true,
        };
        if (!backed)
            throw new DamagedRecordException(record, $"it is {status} but its message {issued.Id} is {issued.Status}");
    }

    private byte[] FollowUp(Func<string, PartnerMessage?> find, string id, string payloadType, string record)
    {
        var message = find(id) ?? throw new DamagedRecordException(record, $"its message {id} is missing");
        var payload = Message(message);
        return message.PayloadType == payloadType ? payload
            : throw new DamagedRecordException(record, $"its message {id} carries a {message.PayloadType}, not a {payloadType}");
    }

    // At the signed time given, or (null) now; only a verdict at a fixed time is remembered.
    private Signed Verified(string record, string what, byte[] bytes, string signer, DateTime? signedAt)
    {
        var at = signedAt ?? time.GetUtcNow().UtcDateTime;
        Envelope envelope;
        try
        {
            envelope = Envelope.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DamagedRecordException(record, $"its {what} is not a valid envelope ({e.Message})");
        }

        // These very bytes verified before, for this signer at this time: the same proof, without the signature's cost.
        var key = $"{signer}|{at.Ticks}|{Convert.ToHexString(SHA256.HashData(bytes))}";
        if (signedAt is not null && _verified.ContainsKey(key))
            return new Signed(envelope.PayloadType, envelope.Payload.Memory, SHA256.HashData(envelope.Payload.Span));

        var anchors = signer == Us ? _ownAnchors : partners.Find(signer)?.Anchors
            ?? throw new DamagedRecordException(record, $"its {what} is signed by {signer}, which is no longer a configured partner; configure {signer}'s root again to check it", unverifiable: true);
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(envelope, anchors, new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)));
        }
        catch (EnvelopeVerificationException e)
        {
            throw new DamagedRecordException(record, $"its {what} does not verify ({e.Message})");
        }

        if (verified.SignerParticipant != signer)
            throw new DamagedRecordException(record, $"its {what} is signed by {verified.SignerParticipant}, not {signer}");
        // Bounded crudely, as the chain cache is: starting over costs one signature check per record read again.
        if (signedAt is null)
            return new Signed(verified.PayloadType, verified.Payload, verified.PayloadSha256);
        if (_verified.Count >= VerifiedLimit)
            _verified.Clear();
        _verified.TryAdd(key, 0);
        return new Signed(verified.PayloadType, verified.Payload, verified.PayloadSha256);
    }

    /// <summary>What a verified envelope carried.</summary>
    private sealed record Signed(string PayloadType, ReadOnlyMemory<byte> Payload, byte[] PayloadSha256);

    private static (MessageHeader? Header, string Number) HeaderOf(string record, Signed payload)
    {
        try
        {
            return payload.PayloadType switch
            {
                PayloadTypes.CertificateIssued => CertificateIssued.Parser.ParseFrom(payload.Payload.Span) is var m ? (m.Header, m.Certificate?.Number ?? "") : default,
                PayloadTypes.CertificateVoided => CertificateVoided.Parser.ParseFrom(payload.Payload.Span) is var v ? (v.Header, v.CertificateNumber) : default,
                PayloadTypes.ImportConfirmation => ImportConfirmation.Parser.ParseFrom(payload.Payload.Span) is var c ? (c.Header, c.CertificateNumber) : default,
                PayloadTypes.RevocationNotice => (RevocationNotice.Parser.ParseFrom(payload.Payload.Span).Header, ""),
                _ => throw new DamagedRecordException(record, $"its envelope carries a {payload.PayloadType}, which is not a message a node keeps"),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DamagedRecordException(record, $"its payload is not a valid {payload.PayloadType} ({e.Message})");
        }
    }

    /// <summary>How a message is named to an operator: its id, what it does and the certificate it is about.</summary>
    public static string Name(PartnerMessage message) => message.PayloadType switch
    {
        PayloadTypes.CertificateIssued => $"message {message.Id} carrying certificate {message.CertificateNumber}",
        PayloadTypes.CertificateVoided => $"message {message.Id} voiding certificate {message.CertificateNumber}",
        PayloadTypes.ImportConfirmation => $"message {message.Id} confirming the import of certificate {message.CertificateNumber}",
        PayloadTypes.RevocationNotice => $"message {message.Id} carrying a revocation notice",
        _ => $"message {message.Id} ({message.PayloadType}) about certificate {message.CertificateNumber}",
    };

    private static List<string> Differences(CertificateSummary stored, CertificateSummary signed)
    {
        var differences = new List<string>();
        void Compare<T>(string field, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
                differences.Add($"{field} {a} stored, {b} signed");
        }

        Compare("number", stored.Number, signed.Number);
        Compare("exportingParticipant", stored.ExportingParticipant, signed.ExportingParticipant);
        Compare("importingParticipant", stored.ImportingParticipant, signed.ImportingParticipant);
        Compare("dateOfIssue", KpDate.Text(stored.DateOfIssue), KpDate.Text(signed.DateOfIssue));
        Compare("dateOfExpiry", KpDate.Text(stored.DateOfExpiry), KpDate.Text(signed.DateOfExpiry));
        Compare("parcels", stored.Parcels, signed.Parcels);
        Compare("carats", stored.Carats, signed.Carats);
        Compare("value", stored.Value, signed.Value);
        Compare("hsLines", string.Join(", ", stored.HsLines.Select(Line)), string.Join(", ", signed.HsLines.Select(Line)));
        Compare("originCountries", string.Join(",", stored.OriginCountries), string.Join(",", signed.OriginCountries));
        Compare("replaces", stored.Replaces, signed.Replaces);
        Compare("sealNumber", stored.SealNumber, signed.SealNumber);
        Compare("issuingOffice", stored.IssuingOffice, signed.IssuingOffice);
        return differences;
    }

    private static string Line(Domain.HsLine l) => $"{l.HsCode} {l.Carats} {l.Value}";
}
