using KpNode.Integrity;
using KpNode.Tests.Exchange;
using KpNode.Tests.Operations;
using KpNode.Wire.V1;

namespace KpNode.Tests.Trust;

/// <summary>
/// Evidence outlives the key that signed it: an envelope is judged at the time its receiver's signed receipt says it
/// arrived, so a signing certificate that has since expired still proves what it signed, while a new envelope signed
/// with it is refused.
/// </summary>
public sealed class SigningTimeTests
{
    [Fact]
    public async Task Envelopes_signed_before_the_signing_certificate_expired_still_verify_and_a_new_one_is_refused()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        OutboxRepairTests.RenewSigning(net, TimeSpan.FromDays(1));
        await net.RestartAsync("ZA", []);
        var delivered = await net.DeliverAsync("ZA", "BE");
        var confirmed = await net.DeliverAsync("ZA", "BE");
        await net.ConfirmAsync("BE", confirmed);
        await net.WaitForAsync("ZA", confirmed, r => r.Status == CertificateStatus.Confirmed);

        // Two days on, on both sides: ZA's signing certificate expired yesterday.
        net["ZA"].Logs.ExpectErrors(r => r.Id.Id == 1401);
        await net.RestartAsync("ZA", [], new ShiftedTime { Offset = TimeSpan.FromDays(2) });
        await net.RestartAsync("BE", [], new ShiftedTime { Offset = TimeSpan.FromDays(2) });

        foreach (var code in new[] { "ZA", "BE" })
        {
            // Served with its evidence, which is verified as it is read, and the store check at start passed.
            foreach (var old in new[] { delivered, confirmed })
                Assert.NotNull((await net.FindAsync(code, old))!.CertificateEnvelope);
            var integrity = (StoreIntegrity)net[code].Host!.Services.GetService(typeof(StoreIntegrity))!;
            var state = await Eventually.WaitAsync(() => Task.FromResult(integrity.State), s => s.Check is { Finished: true }, TimeSpan.FromSeconds(30),
                s => $"{code}'s store check did not finish: {s?.Check}");
            Assert.True(state.Intact, state.Describe());
            Assert.True(state.Check!.Messages >= 2, $"{code} checked {state.Check.Messages} messages");
        }

        // A certificate signed now with the expired certificate is refused by the importer, and waits in ZA's outbox.
        var number = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        var stuck = await Eventually.WaitAsync(async () => (await net["ZA"].Client.Operations.ListOutboxAsync(new ListOutboxRequest())).Messages,
            m => m.Count == 1 && m[0].LastErrorCause == DeliveryFailureCause.SignatureRejected, TimeSpan.FromSeconds(20),
            last => $"BE did not refuse the new signature: {last}");
        Assert.Equal(number, stuck[0].CertificateNumber);
        Assert.Contains("expired", stuck[0].LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await net.FindAsync("BE", number));
    }

    [Fact]
    public async Task A_message_still_waiting_for_its_receipt_when_its_signing_certificate_expires_is_judged_at_the_time_we_signed_it_not_as_damage()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        OutboxRepairTests.RenewSigning(net, TimeSpan.FromDays(1));
        await net.RestartAsync("ZA", []);
        await net["BE"].StopAsync();
        var waiting = (await net.IssueAsync("ZA", "BE")).Certificate.Number;

        // Two days on, BE still down: the signing certificate of the message in the outbox has expired.
        net["ZA"].Logs.ExpectErrors(r => r.Id.Id == 1401);
        await net.RestartAsync("ZA", [], new ShiftedTime { Offset = TimeSpan.FromDays(2) });
        var integrity = (StoreIntegrity)net["ZA"].Host!.Services.GetService(typeof(StoreIntegrity))!;
        var state = await Eventually.WaitAsync(() => Task.FromResult(integrity.State), s => s.Check is { Finished: true }, TimeSpan.FromSeconds(30),
            s => $"ZA's store check did not finish: {s?.Check}");
        Assert.True(state.Intact, state.Describe());
        Assert.Equal(CertificateStatus.Issued, (await net.FindAsync("ZA", waiting))!.Status);
    }
}
