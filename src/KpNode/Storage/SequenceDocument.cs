namespace KpNode.Storage;

/// <summary>A named counter, such as the certificate number sequence for one prefix and year.</summary>
internal sealed class SequenceDocument
{
    public string Id { get; set; } = "";
    public long Value { get; set; }
}
