using Google.Rpc;
using Grpc.Core;
using KpNode.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.LocalApi;

/// <summary>Refusals travel as google.rpc.Status with BadRequest field violations, named as the user edits the draft.</summary>
public sealed class ErrorModelTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private async Task<RpcException> IssueRefusedAsync(Certificate draft) =>
        await Assert.ThrowsAsync<RpcException>(() =>
            _net["ZA"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }).ResponseAsync);

    [Fact]
    public async Task A_refused_draft_carries_each_broken_rule_as_a_field_violation_in_the_drafts_own_camelCase_names_and_stores_nothing()
    {
        var before = _net.Store("ZA").CountCertificatesByStatus().Values.Sum();
        var draft = DemoDrafts.Draft("ZA", "BE");
        draft.HsLines[0].HsCode = "7104.10";
        draft.OriginCountries.Clear();
        draft.OriginCountries.Add("XK");

        var e = await IssueRefusedAsync(draft);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var status = e.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)Code.InvalidArgument, status.Code);
        var violations = status.GetDetail<BadRequest>()!.FieldViolations.ToDictionary(v => v.Field, v => v.Description);
        Assert.Contains("hsLines[0].hsCode", violations.Keys);
        Assert.Contains("originCountries[0]", violations.Keys);
        Assert.Contains("'XK'", violations["originCountries[0]"]);
        Assert.Contains("hsLines[0].hsCode: ", e.Status.Detail);
        Assert.DoesNotContain("hs_lines", e.Status.Detail);
        Assert.Equal(before, _net.Store("ZA").CountCertificatesByStatus().Values.Sum());
    }

    [Fact]
    public async Task A_draft_breaking_hundreds_of_rules_still_gets_its_error_with_the_first_fifty_listed_and_the_rest_counted()
    {
        var draft = DemoDrafts.Draft("ZA", "BE");
        var line = draft.HsLines[0];
        // Within the bounds on counts (CertificateRules.MaxHsLines), three broken rules a line.
        for (var i = draft.HsLines.Count; i < KpNode.Domain.CertificateRules.MaxHsLines; i++)
        {
            var broken = line.Clone();
            broken.CaratsHundredths = 0;
            broken.ValueUsdCents = -1;
            draft.HsLines.Add(broken);
        }

        var e = await IssueRefusedAsync(draft);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violations = e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations;
        Assert.Equal(51, violations.Count);
        Assert.Matches(@"^and \d+ more of the same rules$", violations[^1].Description);
        Assert.Contains("more of the same rules", e.Status.Detail);
        Assert.True(e.Status.Detail.Length < 16 * 1024, $"the message is {e.Status.Detail.Length} characters");
    }
}
