using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>An authenticity question and answer between the Local and Peer APIs' messages and the domain.</summary>
internal static class AuthenticityMapping
{
    public static AuthenticityQuestion ToDomain(V1.CheckCertificateRequest r) => new(r.CertificateNumber, r.Parcels, r.CaratsHundredths);

    public static AuthenticityQuestion ToDomain(V1.CheckAuthenticityRequest r) => new(r.CertificateNumber, r.Parcels, r.CaratsHundredths);

    public static V1.CheckAuthenticityRequest ToRequest(AuthenticityQuestion q) =>
        new() { CertificateNumber = q.CertificateNumber, Parcels = q.Parcels, CaratsHundredths = q.CaratsHundredths };

    public static V1.CheckCertificateResponse ToResponse(Authenticity? verdict, IReadOnlyList<string> mismatches, V1.Envelope statement)
    {
        var response = new V1.CheckCertificateResponse
        {
            Verdict = verdict is { } known ? StatusMapping.ToWire(known) : V1.AuthenticityVerdict.Unspecified,
            Statement = statement,
        };
        response.Mismatches.AddRange(mismatches);
        return response;
    }
}
