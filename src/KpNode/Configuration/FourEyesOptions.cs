namespace KpNode.Configuration;

/// <summary>
/// Node:FourEyes: which changes one officer submits and a second officer (approving-officer) must approve before the
/// node signs and sends anything ('kpnode cert approve'). Both off by default.
/// </summary>
internal sealed class FourEyesOptions
{
    /// <summary>An issued draft waits for approval; it is numbered, signed and sent only once approved.</summary>
    public bool Issuing { get; set; }

    /// <summary>A void waits for approval; the certificate is voided and the importer told only once approved.</summary>
    public bool Voiding { get; set; }
}
