namespace KpNode.Diagnostics;

/// <summary>Operator roles on the Local API and four-eyes approvals (events 1840-1849).</summary>
internal static partial class Log
{
    [LoggerMessage(1840, LogLevel.Warning, "Refused {Method} to operator {Operator}: it needs {Required}; the certificate grants {Granted}", EventName = "RoleRefused")]
    public static partial void RoleRefused(ILogger logger, string method, string @operator, string required, string granted);

    [LoggerMessage(1841, LogLevel.Information, "{Operator} submitted {Approval} ({Kind}) for a second officer's approval: {Summary}", EventName = "ApprovalSubmitted")]
    public static partial void ApprovalSubmitted(ILogger logger, string @operator, string approval, string kind, string summary);

    [LoggerMessage(1842, LogLevel.Information, "{Operator} approved {Approval} ({Kind}) of {Submitter}: certificate {Number}", EventName = "ApprovalApproved")]
    public static partial void ApprovalApproved(ILogger logger, string @operator, string approval, string kind, string submitter, string number);

    [LoggerMessage(1843, LogLevel.Information, "{Operator} rejected {Approval} ({Kind}) of {Submitter}: {Reason}", EventName = "ApprovalRejected")]
    public static partial void ApprovalRejected(ILogger logger, string @operator, string approval, string kind, string submitter, string reason);
}
