namespace KpNode.Domain;

/// <summary>Whether a certificate is genuine, as its issuer answers an importer that asks.</summary>
internal enum Authenticity
{
    Genuine = 1,
    /// <summary>Genuine, but the figures presented differ from those certified.</summary>
    Mismatch = 2,
    Voided = 3,
    /// <summary>Not a certificate the issuer issued to the one asking (or none at all): nothing leaks.</summary>
    Unknown = 4,
}

/// <summary>An importer's question to an issuer: is this certificate genuine, with these figures (0 = not compared)?</summary>
internal sealed record AuthenticityQuestion(string CertificateNumber, int Parcels, long CaratsHundredths)
{
    /// <summary>The issuer's verdict on <paramref name="held"/> for <paramref name="asker"/>: only the importer named on it learns anything.</summary>
    public (Authenticity Verdict, IReadOnlyList<string> Mismatches) JudgeAs(HeldCertificate? held, string asker)
    {
        if (held is null || held.Direction != CertificateDirection.Outbound || held.Partner != asker)
        {
            return (Authenticity.Unknown, []);
        }

        var mismatches = new List<string>();
        if (Parcels != 0 && Parcels != held.Summary.Parcels)
        {
            mismatches.Add($"parcels: {Parcels} presented, {held.Summary.Parcels} certified");
        }

        if (CaratsHundredths != 0 && CaratsHundredths != held.Summary.Carats.Hundredths)
        {
            mismatches.Add($"carats: {new Carats(CaratsHundredths)} presented, {held.Summary.Carats} certified");
        }

        var verdict = held.Status == CertificateStatus.Voided ? Authenticity.Voided
            : mismatches.Count > 0 ? Authenticity.Mismatch
            : Authenticity.Genuine;
        return (verdict, mismatches);
    }
}
