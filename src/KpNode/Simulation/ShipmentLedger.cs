using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using KpNode.Wire.V1;
using KpParticipants = KpNode.Domain.KpParticipants;

namespace KpNode.Simulation;

/// <summary>Where one planned shipment stands in the run, as its participants' offices did it through their Local APIs.</summary>
internal sealed class ShipmentProgress(PlannedShipment plan)
{
    public PlannedShipment Plan { get; } = plan;

    public string? Number { get; set; }

    public int IssuedDay { get; set; } = -1;

    public bool Settled { get; set; }

    public string Seal => $"{Plan.From}-SIM-{Plan.Index:D6}";

    /// <summary>The day the importer's office records what arrived (or the exporter voids): a few days after issue.</summary>
    public int DueDay => IssuedDay + 1 + Plan.Index % 4;
}

/// <summary>
/// The offices' side of the simulation: issuing each certificate on the exporter's node, confirming or voiding it
/// later, all through the nodes' Local APIs with their operator certificates, as a national system would.
/// </summary>
internal sealed class ShipmentLedger(SimulatedNetwork network, SimulatedClock clock)
{
    private readonly ConcurrentDictionary<int, ShipmentProgress> _byIndex = new();

    public IReadOnlyCollection<ShipmentProgress> All => [.. _byIndex.Values.OrderBy(s => s.Plan.Index)];

    public int Issued => _byIndex.Values.Count(s => s.Number is not null);

    public int Settled => _byIndex.Values.Count(s => s.Settled);

    public ShipmentProgress Track(PlannedShipment plan) => _byIndex.GetOrAdd(plan.Index, _ => new ShipmentProgress(plan));

    public ShipmentProgress? Find(int index) => _byIndex.GetValueOrDefault(index);

    private string Today => clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Issues the certificate on the exporter's node; false when that node cannot be reached today.</summary>
    public async Task<bool> IssueAsync(ShipmentProgress s, CancellationToken ct)
    {
        var plan = s.Plan;
        var draft = new Certificate
        {
            ImportingParticipant = plan.To,
            Exporter = Trader(plan.From, "Rough Diamond Exports"),
            Importer = Trader(plan.To, "Diamond Imports"),
            Parcels = plan.Parcels,
            CaratsHundredths = plan.Carats,
            ValueUsdCents = plan.Cents,
            SealNumber = s.Seal,
            MixedOrigin = true,
            ProvenanceCountry = Country(plan.From),
        };
        draft.HsLines.Add(new HsLine { HsCode = "7102.31", CaratsHundredths = plan.GemCarats, ValueUsdCents = plan.GemCents });
        draft.HsLines.Add(new HsLine { HsCode = "7102.21", CaratsHundredths = plan.IndustrialCarats, ValueUsdCents = plan.IndustrialCents });
        if (plan.Fate == ShipmentFate.Expires)
            draft.DateOfExpiry = clock.GetUtcNow().UtcDateTime.AddDays(TradePlan.ExpiryDays).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (plan.Replaces is { } replaced)
            draft.Replaces = _byIndex[replaced].Number!;
        var api = network[plan.From].Client.Api;
        try
        {
            var record = (await api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }, cancellationToken: ct)).Record;
            s.Number = record.Certificate.Number;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled)
        {
            // The call may have been stored before the answer was lost: never issue the same shipment twice.
            var found = await FindBySealAsync(plan.From, s.Seal, ct);
            if (found is null)
                return false;
            s.Number = found;
        }

        s.IssuedDay = clock.Day;
        return true;
    }

    /// <summary>The importer confirms (or reports a discrepancy or detention), or the exporter voids; false to try another day.</summary>
    public async Task<bool> SettleAsync(ShipmentProgress s, CancellationToken ct)
    {
        var plan = s.Plan;
        try
        {
            if (plan.Fate == ShipmentFate.Voided)
            {
                await network[plan.From].Client.Api.VoidCertificateAsync(
                    new VoidCertificateRequest { CertificateNumber = s.Number, Reason = "shipment not sent; replaced" }, cancellationToken: ct);
            }
            else
            {
                var discrepancy = plan.Fate == ShipmentFate.Discrepancy;
                await network[plan.To].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
                {
                    CertificateNumber = s.Number,
                    Outcome = plan.Fate switch
                    {
                        ShipmentFate.Discrepancy => ImportOutcome.Discrepancy,
                        ShipmentFate.Detained => ImportOutcome.Detained,
                        _ => ImportOutcome.Confirmed,
                    },
                    ParcelsReceived = plan.Parcels,
                    CaratsReceivedHundredths = discrepancy ? plan.Carats - 100 : plan.Carats,
                    ValueReceivedUsdCents = plan.Cents,
                    DateOfReceipt = Today,
                    Remarks = plan.Fate switch
                    {
                        ShipmentFate.Discrepancy => "one carat short of the certificate",
                        ShipmentFate.Detained => "seal broken on arrival; parcel detained",
                        _ => "",
                    },
                }, cancellationToken: ct);
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.NotFound or StatusCode.DeadlineExceeded)
        {
            // Its node is down, or the certificate has not reached the importer yet (its exporter's outbox holds it).
            return false;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            // An earlier call went through before its answer was lost; anything else is a fault of the run itself.
            if (!await AlreadySettledAsync(s, ct))
                throw;
        }

        s.Settled = true;
        return true;
    }

    private async Task<bool> AlreadySettledAsync(ShipmentProgress s, CancellationToken ct)
    {
        var code = s.Plan.Fate == ShipmentFate.Voided ? s.Plan.From : s.Plan.To;
        var record = (await network[code].Client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = s.Number }, cancellationToken: ct)).Record;
        return record.Status == SimulationChecks.Expected(s.Plan.Fate);
    }

    private async Task<string?> FindBySealAsync(string code, string seal, CancellationToken ct)
    {
        try
        {
            var page = await network[code].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { SealNumber = seal, PageSize = 10 }, cancellationToken: ct);
            return page.Records.FirstOrDefault()?.Certificate.Number;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return null;
        }
    }

    /// <summary>EU traders are in Belgium (Antwerp): the EU as one participant, its parties in a member state.</summary>
    public static string Country(string code) => KpParticipants.IsEuropeanUnion(code) ? "BE" : code;

    private static Party Trader(string code, string what)
    {
        var name = KpParticipants.Find(code)?.Name ?? code;
        return new Party { Name = $"{name} {what} Ltd", Address = $"1 Diamond Street, {name}", Country = Country(code) };
    }
}
