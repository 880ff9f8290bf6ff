using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hostile;

/// <summary>Dates at the ends of the calendar, where date arithmetic overflows unless they are refused first.</summary>
public sealed class EdgeDateTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Theory]
    [InlineData("9999-12-31")]
    [InlineData("0001-01-01")]
    public async Task A_draft_dated_at_an_end_of_the_calendar_is_refused_naming_the_date_of_issue(string date)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _net.IssueAsync("ZA", "BE", c =>
        {
            c.DateOfIssue = date;
            c.DateOfExpiry = "";
        }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(ApiErrors.ViolationsOf(e), v => v.Field == "dateOfIssue");
        Assert.Contains($"'{date}' is out of range", violation.Rule);
    }

    [Theory]
    [InlineData("9999-12-31")]
    [InlineData("0001-01-01")]
    public async Task A_draft_expiring_at_an_end_of_the_calendar_is_refused_naming_the_date_of_expiry(string date)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _net.IssueAsync("ZA", "BE", c => c.DateOfExpiry = date));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(ApiErrors.ViolationsOf(e), v => v.Field == "dateOfExpiry" && v.Rule.Contains("out of range"));
    }

    [Theory]
    [InlineData("9999-12-31")]
    [InlineData("0001-01-01")]
    public async Task An_import_confirmation_received_at_an_end_of_the_calendar_is_refused_naming_the_date_of_receipt(string date)
    {
        var number = await _net.DeliverAsync("ZA", "BE");

        var e = await Assert.ThrowsAsync<RpcException>(() => _net["BE"].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = number,
            Outcome = ImportOutcome.Confirmed,
            ParcelsReceived = 1,
            CaratsReceivedHundredths = 100,
            DateOfReceipt = date,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(ApiErrors.ViolationsOf(e), v => v.Field == "dateOfReceipt" && v.Rule.Contains("out of range"));
    }

    [Fact]
    public async Task Statistics_for_the_last_quarter_of_the_calendar_are_refused_as_no_quarter()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _net["ZA"].Client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = "9999Q4" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Theory]
    [InlineData("9999-12-31")]
    [InlineData("0001-01-01")]
    public async Task A_partner_certificate_dated_at_an_end_of_the_calendar_gets_a_signed_rejection_naming_the_date(string date)
    {
        using var za = _net.Credentials("ZA");
        using var signer = new KpNode.Trust.EnvelopeSigner(za.DocumentSigning);
        var message = HostileInputs.Issued("ZA", "BE");
        message.Certificate.DateOfIssue = date;
        message.Certificate.DateOfExpiry = date;
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));

        var response = await peer.DeliverAsync(new DeliverRequest { Envelope = signer.Sign(PayloadTypes.CertificateIssued, Google.Protobuf.MessageExtensions.ToByteArray(message)) });

        var receipt = Receipt.Parser.ParseFrom(response.Receipt.Payload);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Contains($"dateOfIssue: the date of issue '{date}'", receipt.ReasonText, StringComparison.Ordinal);
        Assert.Contains("out of range", receipt.ReasonText, StringComparison.Ordinal);
    }
}
