using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>An import confirmation between the wire (the Local API's request, the signed payload) and the domain's report.</summary>
internal static class ImportReportMapping
{
    public static ImportReport ToDomain(V1.ConfirmImportRequest r) => new(r.CertificateNumber, StatusMapping.ToDomain(r.Outcome),
        r.ParcelsReceived, r.CaratsReceivedHundredths, r.ValueReceivedUsdCents, r.DateOfReceipt, r.Remarks);

    public static ImportReport ToDomain(V1.ImportConfirmation c) => new(c.CertificateNumber, StatusMapping.ToDomain(c.Outcome),
        c.ParcelsReceived, c.CaratsReceivedHundredths, c.ValueReceivedUsdCents, c.DateOfReceipt, c.Remarks);

    /// <summary>The signed payload for a report that passed the rules (its outcome is set).</summary>
    public static V1.ImportConfirmation ToPayload(ImportReport r, V1.MessageHeader header) => new()
    {
        Header = header,
        CertificateNumber = r.CertificateNumber,
        Outcome = StatusMapping.ToWire(r.Outcome!.Value),
        ParcelsReceived = r.ParcelsReceived,
        CaratsReceivedHundredths = r.CaratsReceivedHundredths,
        ValueReceivedUsdCents = r.ValueReceivedUsdCents,
        DateOfReceipt = r.DateOfReceipt,
        Remarks = r.Remarks,
    };
}
