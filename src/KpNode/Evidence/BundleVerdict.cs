namespace KpNode.Evidence;

/// <summary>The verdict on one item of a bundle (a file): the checks it passed, or the check that failed and why.</summary>
internal sealed record BundleVerdict(string Item, bool Verified, IReadOnlyList<string> Passed, string? FailedCheck, string? Reason)
{
    public static BundleVerdict Ok(string item, IReadOnlyList<string> passed) => new(item, true, passed, null, null);

    public static BundleVerdict Fail(string item, IReadOnlyList<string> passed, string check, string reason) => new(item, false, passed, check, reason);
}

/// <summary>A check that failed on an item, carrying the check's name for the verdict line.</summary>
internal sealed class BundleCheckException(string check, string reason) : Exception($"{check}: {reason}")
{
    public string Check { get; } = check;
    public string Reason { get; } = reason;
}
