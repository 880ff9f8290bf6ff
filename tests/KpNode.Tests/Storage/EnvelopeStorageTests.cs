using Google.Protobuf;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Trust;
using static KpNode.Tests.Trust.TrustTestData;

namespace KpNode.Tests.Storage;

/// <summary>Envelopes are evidence: however the store keeps them, they read back byte for byte.</summary>
public sealed class EnvelopeStorageTests : IDisposable
{
    private readonly StoreFolder _folder = new();
    private readonly ParticipantCredentials _za = Pki("ZA");
    private readonly ParticipantCredentials _be = Pki("BE");

    public void Dispose()
    {
        _za.Dispose();
        _be.Dispose();
        _folder.Dispose();
    }

    private static byte[] Signed(ParticipantCredentials pki, string text)
    {
        using var signer = new EnvelopeSigner(pki.DocumentSigning);
        return signer.Sign(PayloadType, System.Text.Encoding.UTF8.GetBytes(text)).ToByteArray();
    }

    private static PartnerMessage Message(string id, byte[] envelope, byte[]? receipt = null)
    {
        var message = Sample.OutboundMessage(id, "BE", Sample.Noon);
        message.Envelope = envelope;
        message.ReceiptEnvelope = receipt;
        return message;
    }

    [Fact]
    public void Signed_envelopes_and_receipts_read_back_byte_for_byte_with_each_signer_certificate_kept_once()
    {
        var sent = Enumerable.Range(1, 20)
            .Select(n => (Id: $"m-{n}", Envelope: Signed(_za, $"certificate {n}"), Receipt: Signed(_be, $"receipt {n}")))
            .ToList();
        using (var store = _folder.Open())
        {
            foreach (var (id, envelope, receipt) in sent.Take(10))
                store.Write(w => { w.InsertMessage(Message(id, envelope, receipt)); return 0; });
            // Half get their receipt later, by an update, as the outbox records it.
            foreach (var (id, envelope, _) in sent.Skip(10))
                store.Write(w => { w.InsertMessage(Message(id, envelope)); return 0; });
            foreach (var (id, _, receipt) in sent.Skip(10))
            {
                store.Write(w =>
                {
                    var message = w.FindMessage(id)!;
                    message.ReceiptEnvelope = receipt;
                    w.UpdateMessage(message);
                    return 0;
                });
            }
        }

        using var reopened = _folder.Open();
        foreach (var (id, envelope, receipt) in sent)
        {
            var found = reopened.FindMessage(id)!;
            Assert.Equal(envelope, found.Envelope);
            Assert.Equal(receipt, found.ReceiptEnvelope);
        }

        Assert.Equal(
            new[] { _za.DocumentSigning.RawData, _be.DocumentSigning.RawData }.Select(EnvelopePacking.Id).Order(),
            reopened.Signers.FindAll().Select(s => s.Id).Order());
        // What the file holds is the envelope without the certificate: smaller by about its size.
        var stored = reopened.Messages.FindById("m-1")!;
        Assert.Equal(EnvelopePacking.Packed, stored.Envelope[0]);
        Assert.True(stored.Envelope.Length < sent[0].Envelope.Length - _za.DocumentSigning.RawData.Length + 64,
            $"stored {stored.Envelope.Length} B for a {sent[0].Envelope.Length} B envelope");
    }

    [Fact]
    public void An_envelope_with_a_chain_keeps_every_certificate_in_place()
    {
        using var root = CertificateAuthority.CreateRoot("ZA", Now.AddDays(-1), Now.AddYears(10), pathLength: 1);
        using var issuing = CertificateAuthority.IssueIntermediate(root, "ZA", Now.AddDays(-1), Now.AddYears(5));
        using var leaf = CertificateAuthority.IssueLeaf(issuing, "ZA", LeafKind.DocumentSigning, Now.AddDays(-1), Now.AddYears(1));
        using var signer = new EnvelopeSigner(leaf, [issuing]);
        var envelope = signer.Sign(PayloadType, Payload);
        // A second signature too: every x5c of every signature is cut out and put back.
        envelope.Signatures.Add(Wire.V1.Envelope.Parser.ParseFrom(Signed(_be, "co-signed")).Signatures[0]);
        var bytes = envelope.ToByteArray();

        using (var store = _folder.Open())
            store.Write(w => { w.InsertMessage(Message("m-chain", bytes)); return 0; });

        using var reopened = _folder.Open();
        Assert.Equal(bytes, reopened.FindMessage("m-chain")!.Envelope);
        Assert.Equal(3, reopened.Signers.Count());
    }

    [Fact]
    public void An_envelope_carrying_the_same_certificate_twice_reads_back_byte_for_byte_with_it_kept_once()
    {
        // The verifier refuses such envelopes now; one stored by an earlier version must still read back.
        var envelope = Wire.V1.Envelope.Parser.ParseFrom(Signed(_za, "twice"));
        envelope.Signatures.Add(envelope.Signatures[0].Clone());
        envelope.Signatures[0].X5C.Add(envelope.Signatures[0].X5C[0]);
        var bytes = envelope.ToByteArray();

        using (var store = _folder.Open())
            store.Write(w => { w.InsertMessage(Message("m-twice", bytes)); return 0; });

        using var reopened = _folder.Open();
        Assert.Equal(bytes, reopened.FindMessage("m-twice")!.Envelope);
        Assert.Equal(1, reopened.Signers.Count());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 1, 2, 3, 0, 255 })]
    [InlineData(new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Bytes_that_are_not_an_envelope_read_back_as_they_were(byte[] bytes)
    {
        using (var store = _folder.Open())
            store.Write(w => { w.InsertMessage(Message("m-odd", bytes, bytes)); return 0; });

        using var reopened = _folder.Open();
        var found = reopened.FindMessage("m-odd")!;
        Assert.Equal(bytes, found.Envelope);
        Assert.Equal(bytes, found.ReceiptEnvelope);
        Assert.Equal(0, reopened.Signers.Count());
    }

    [Fact]
    public async Task A_signer_stored_by_a_write_that_rolled_back_is_stored_again_by_the_next()
    {
        var first = Signed(_za, "first");
        var second = Signed(_za, "second");
        using (var store = _folder.Open())
        {
            Assert.Throws<InvalidOperationException>(() => store.Write<int>(w =>
            {
                w.InsertMessage(Message("m-1", first));
                throw new InvalidOperationException("the work failed after packing");
            }));
            await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteDurableAsync<int>(w =>
            {
                w.InsertMessage(Message("m-1", first));
                throw new InvalidOperationException("the work failed after packing");
            }, CancellationToken.None));

            await store.WriteDurableAsync(w => { w.InsertMessage(Message("m-2", second)); return 0; }, CancellationToken.None);
        }

        using var reopened = _folder.Open();
        Assert.Null(reopened.FindMessage("m-1"));
        Assert.Equal(second, reopened.FindMessage("m-2")!.Envelope);
        Assert.Equal(EnvelopePacking.Packed, reopened.Messages.FindById("m-2").Envelope[0]);
    }

    [Fact]
    public void Envelopes_stored_whole_by_an_earlier_version_still_read_back()
    {
        var envelope = Signed(_za, "stored before packing");
        using (var store = _folder.Open())
        {
            // What an earlier version wrote: the envelope as it is, straight into the collection.
            var legacy = Message("m-legacy", envelope, envelope);
            store.Write(w => { w.InsertMessage(Message("m-other", Signed(_za, "other"))); return 0; });
            store.Messages.Insert(legacy);
        }

        using var reopened = _folder.Open();
        var found = reopened.FindMessage("m-legacy")!;
        Assert.Equal(envelope, found.Envelope);
        Assert.Equal(envelope, found.ReceiptEnvelope);
    }
}
