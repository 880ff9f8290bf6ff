using KpNode.Domain;

namespace KpNode.Diagnostics;

/// <summary>Every log message of the node, source-generated, with stable event ids (never keys or whole certificates).
/// Text a partner controls goes through <see cref="Printable"/> before it reaches a log line.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Node {Participant} listening: Peer API {PeerAddress}, Local API {LocalAddress}")]
    public static partial void NodeStarted(ILogger logger, string participant, string peerAddress, string localAddress);

    [LoggerMessage(1001, LogLevel.Information, "Node {Participant} stopping; pending deliveries stay in the outbox")]
    public static partial void NodeStopping(ILogger logger, string participant);

    public static void PeerCertificateRefused(ILogger logger, string subject, string thumbprint, string reason) =>
        PeerCertificateRefusedPrintable(logger, Printable.Of(subject), thumbprint, Printable.Of(reason));

    [LoggerMessage(1100, LogLevel.Warning, "Peer API refused a TLS client certificate {Subject} ({Thumbprint}): {Reason}", EventName = "PeerCertificateRefused")]
    private static partial void PeerCertificateRefusedPrintable(ILogger logger, string subject, string thumbprint, string reason);

    public static void LocalCertificateRefused(ILogger logger, string subject, string thumbprint, string reason) =>
        LocalCertificateRefusedPrintable(logger, Printable.Of(subject), thumbprint, Printable.Of(reason));

    [LoggerMessage(1101, LogLevel.Warning, "Local API refused a TLS client certificate {Subject} ({Thumbprint}): {Reason}", EventName = "LocalCertificateRefused")]
    private static partial void LocalCertificateRefusedPrintable(ILogger logger, string subject, string thumbprint, string reason);

    public static void PartnerServerCertificateRefused(ILogger logger, string partner, string reason) =>
        PartnerServerCertificateRefusedPrintable(logger, partner, Printable.Of(reason));

    [LoggerMessage(1102, LogLevel.Warning, "Refused the TLS server certificate of partner {Partner}: {Reason}", EventName = "PartnerServerCertificateRefused")]
    private static partial void PartnerServerCertificateRefusedPrintable(ILogger logger, string partner, string reason);

    public static void HandshakesRefused(ILogger logger, string endpoint, int count, string source, TimeSpan window, string reasons) =>
        HandshakesRefusedPrintable(logger, endpoint, count, source, window, Printable.Of(reasons));

    [LoggerMessage(1103, LogLevel.Warning, "{Endpoint} API refused {Count} more TLS handshakes from {Source} in the last {Window}, not logged one by one: {Reasons}", EventName = "HandshakesRefused")]
    private static partial void HandshakesRefusedPrintable(ILogger logger, string endpoint, int count, string source, TimeSpan window, string reasons);

    [LoggerMessage(1200, LogLevel.Information, "Certificate {Number} issued to {Partner} by {Actor}")]
    public static partial void CertificateIssued(ILogger logger, string number, string partner, string actor);

    public static void DeliveryAnswered(ILogger logger, string messageId, string number, string partner, string outcome) =>
        DeliveryAnsweredPrintable(logger, messageId, Printable.Of(number), partner, Printable.Of(outcome));

    [LoggerMessage(1201, LogLevel.Information, "Message {MessageId} ({Number}) from {Partner}: {Outcome}", EventName = "DeliveryAnswered")]
    private static partial void DeliveryAnsweredPrintable(ILogger logger, string messageId, string number, string partner, string outcome);

    public static void DeliveryRefused(ILogger logger, string partner, string status, string reason) =>
        DeliveryRefusedPrintable(logger, partner, status, Printable.Of(reason));

    [LoggerMessage(1202, LogLevel.Warning, "Refused a delivery from {Partner}: {Status} {Reason}", EventName = "DeliveryRefused")]
    private static partial void DeliveryRefusedPrintable(ILogger logger, string partner, string status, string reason);

    [LoggerMessage(1203, LogLevel.Information, "{Count} certificates passed their date of expiry without confirmation")]
    public static partial void CertificatesExpired(ILogger logger, int count);

    [LoggerMessage(1204, LogLevel.Error, "The expiry check failed; it runs again at the next interval")]
    public static partial void ExpiryCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(1205, LogLevel.Debug, "Expiry check done in {ElapsedMs:0} ms: {Count} certificates expired")]
    public static partial void ExpiryCheckDone(ILogger logger, double elapsedMs, int count);

    public static void Delivered(ILogger logger, string number, string messageId, string partner, string outcome) =>
        DeliveredPrintable(logger, number, messageId, partner, Printable.Of(outcome));

    [LoggerMessage(1300, LogLevel.Information, "Delivered {Number} (message {MessageId}) to {Partner}: {Outcome}", EventName = "Delivered")]
    private static partial void DeliveredPrintable(ILogger logger, string number, string messageId, string partner, string outcome);

    public static void DeliveryFailed(ILogger logger, string number, string partner, int attempt, DateTime nextAttempt, string error) =>
        DeliveryFailedPrintable(logger, Printable.Of(number), partner, attempt, nextAttempt, Printable.Of(error));

    [LoggerMessage(1301, LogLevel.Warning, "Delivery of {Number} to {Partner} failed (attempt {Attempt}), next attempt at {NextAttempt:O}: {Error}", EventName = "DeliveryFailed")]
    private static partial void DeliveryFailedPrintable(ILogger logger, string number, string partner, int attempt, DateTime nextAttempt, string error);

    public static void DeliveryGivenUp(ILogger logger, string number, string partner, string reason) =>
        DeliveryGivenUpPrintable(logger, Printable.Of(number), partner, Printable.Of(reason));

    [LoggerMessage(1302, LogLevel.Error, "Gave up delivering {Number} to {Partner}: {Reason}", EventName = "DeliveryGivenUp")]
    private static partial void DeliveryGivenUpPrintable(ILogger logger, string number, string partner, string reason);

    [LoggerMessage(1303, LogLevel.Warning, "Circuit to {Partner} is now {State}")]
    public static partial void CircuitChanged(ILogger logger, string partner, string state);

    [LoggerMessage(1304, LogLevel.Error, "Outbox lane for {Partner} hit an unexpected error; retrying in {Delay}")]
    public static partial void LaneError(ILogger logger, string partner, TimeSpan delay, Exception exception);

    public static void LinkDown(ILogger logger, string partner, string error, TimeSpan probeInterval) =>
        LinkDownPrintable(logger, partner, Printable.Of(error), probeInterval);

    [LoggerMessage(1305, LogLevel.Warning, "Deliveries to {Partner} pause, the link is down ({Error}); its node is probed every {ProbeInterval} and its backlog goes as soon as it answers or calls us", EventName = "LinkDown")]
    private static partial void LinkDownPrintable(ILogger logger, string partner, string error, TimeSpan probeInterval);

    [LoggerMessage(1306, LogLevel.Information, "Deliveries to {Partner} resume after {DownSeconds:0.0} s with the link down: its backlog is tried now")]
    public static partial void DeliveriesResumed(ILogger logger, string partner, double downSeconds);

    public static void ProbeFailed(ILogger logger, string partner, string error) =>
        ProbeFailedPrintable(logger, partner, Printable.Of(error));

    [LoggerMessage(1307, LogLevel.Debug, "Probe of {Partner} failed, deliveries stay paused: {Error}", EventName = "ProbeFailed")]
    private static partial void ProbeFailedPrintable(ILogger logger, string partner, string error);

    [LoggerMessage(1400, LogLevel.Warning, "The {Kind} certificate of {Owner} ({Subject}) expires in {DaysLeft} days, on {NotAfter:yyyy-MM-dd}: {Advice}")]
    public static partial void CertificateExpiring(ILogger logger, string kind, string owner, string subject, int daysLeft, DateTimeOffset notAfter, string advice);

    [LoggerMessage(1401, LogLevel.Error, "The {Kind} certificate of {Owner} ({Subject}) expired on {NotAfter:yyyy-MM-dd}: {Advice}")]
    public static partial void CertificateExpired(ILogger logger, string kind, string owner, string subject, DateTimeOffset notAfter, string advice);

    [LoggerMessage(1402, LogLevel.Information, "Operations endpoint {Url}: status page at /, Prometheus metrics at /metrics")]
    public static partial void OperationsListening(ILogger logger, string url);

    [LoggerMessage(1403, LogLevel.Information, "Operator {Operator} asked to retry deliveries to {Partner} now: {Rescheduled} rescheduled, {Delivered} delivered, {StillPending} still pending")]
    public static partial void RetryNowDone(ILogger logger, string @operator, string partner, int rescheduled, int delivered, int stillPending);

    public static void PeerPinged(ILogger logger, string @operator, string partner, string result) =>
        PeerPingedPrintable(logger, @operator, partner, Printable.Of(result));

    [LoggerMessage(1404, LogLevel.Information, "Operator {Operator} pinged {Partner}: {Result}", EventName = "PeerPinged")]
    private static partial void PeerPingedPrintable(ILogger logger, string @operator, string partner, string result);

    public static void MessageCancelled(ILogger logger, string @operator, string messageId, string number, string partner, string reason) =>
        MessageCancelledPrintable(logger, @operator, messageId, Printable.Of(number), partner, Printable.Of(reason));

    [LoggerMessage(1406, LogLevel.Warning, "Operator {Operator} cancelled message {MessageId} about {Number} to {Partner}: {Reason}", EventName = "MessageCancelled")]
    private static partial void MessageCancelledPrintable(ILogger logger, string @operator, string messageId, string number, string partner, string reason);

    [LoggerMessage(1407, LogLevel.Information, "Operator {Operator} re-signed message {MessageId} about {Number} to {Partner} with signing certificate {KeyId}")]
    public static partial void MessageResigned(ILogger logger, string @operator, string messageId, string number, string partner, string keyId);

    [LoggerMessage(1405, LogLevel.Warning, "Refused {Path} on the {Endpoint} endpoint: {Reason}")]
    public static partial void OperationsRequestRefused(ILogger logger, string path, string endpoint, string reason);

    [LoggerMessage(1500, LogLevel.Information, "Holding the data directory {Directory} (lock {LockFile}, PID {Pid}); another kpnode run on it is refused")]
    public static partial void DataDirectoryHeld(ILogger logger, string directory, string lockFile, int pid);

    public static void SealNumberReused(ILogger logger, string sealNumber, string number, string detail) =>
        SealNumberReusedPrintable(logger, Printable.Of(sealNumber), number, Printable.Of(detail));

    [LoggerMessage(1550, LogLevel.Warning, "Seal number {SealNumber} of certificate {Number} was used before: {Detail}", EventName = "SealNumberReused")]
    private static partial void SealNumberReusedPrintable(ILogger logger, string sealNumber, string number, string detail);

    public static void AuthenticityAnswered(ILogger logger, string number, string asker, string verdict) =>
        AuthenticityAnsweredPrintable(logger, Printable.Of(number), asker, verdict);

    [LoggerMessage(1551, LogLevel.Information, "Authenticity of {Number} asked by {Asker}: {Verdict}", EventName = "AuthenticityAnswered")]
    private static partial void AuthenticityAnsweredPrintable(ILogger logger, string number, string asker, string verdict);

    [LoggerMessage(1650, LogLevel.Warning, "Refused a call to {Method}: the message is not a valid {Message} ({Error}: {Reason})")]
    public static partial void MalformedMessageRefused(ILogger logger, string method, string message, string error, string reason);

    [LoggerMessage(1700, LogLevel.Information, "Store check passed in {Seconds:F1} s: {Phases} ({Unverifiable} records whose signer is no longer a partner could not be checked)")]
    public static partial void StoreCheckPassed(ILogger logger, double seconds, string phases, long unverifiable);

    [LoggerMessage(1701, LogLevel.Error, "Store check found {Damaged} damaged records; health is NOT_SERVING: {Description}")]
    public static partial void StoreCheckFoundDamage(ILogger logger, long damaged, string description);

    /// <summary>A damaged record, once per record; one whose signer is no longer a partner is a warning, not damage.</summary>
    public static void DamagedRecord(ILogger logger, Storage.DamagedRecordException damage)
    {
        if (damage.Unverifiable)
            UnverifiableRecord(logger, damage.Record, Printable.Of(damage.Problem));
        else
            DamagedRecordFound(logger, damage.Record, Printable.Of(damage.Problem));
    }

    [LoggerMessage(1702, LogLevel.Error, "{Record} is damaged in the store and is refused wherever it is touched: {Problem}", EventName = "DamagedRecord")]
    private static partial void DamagedRecordFound(ILogger logger, string record, string problem);

    [LoggerMessage(1703, LogLevel.Warning, "{Record} cannot be checked and is refused: {Problem}", EventName = "UnverifiableRecord")]
    private static partial void UnverifiableRecord(ILogger logger, string record, string problem);

    [LoggerMessage(1730, LogLevel.Information, "Operator {Operator} reloaded the PKI folder {Directory}: {Changes}", EventName = "CredentialsReloaded")]
    public static partial void CredentialsReloaded(ILogger logger, string @operator, string directory, string changes);

    [LoggerMessage(1731, LogLevel.Warning, "Operator {Operator} asked to reload the PKI folder; the node keeps its certificates: {Problem}", EventName = "CredentialsReloadRefused")]
    public static partial void CredentialsReloadRefused(ILogger logger, string @operator, string problem);

    [LoggerMessage(1732, LogLevel.Debug, "Peer API admitted {Partner}'s node certificate {Serial}", EventName = "PeerCertificateAdmitted")]
    public static partial void PeerCertificateAdmitted(ILogger logger, string partner, string serial);

    [LoggerMessage(1733, LogLevel.Information, "Pre-flight hello with {Partner}: we agree on everything checked", EventName = "PreflightAgreed")]
    public static partial void PreflightAgreed(ILogger logger, string partner);

    [LoggerMessage(1734, LogLevel.Warning, "Pre-flight hello with {Partner} shows what will fail: {Problems}", EventName = "PreflightMismatch")]
    public static partial void PreflightMismatch(ILogger logger, string partner, string problems);

    [LoggerMessage(1735, LogLevel.Information, "Pre-flight hello with {Partner} could not be made (tried again later): {Error}", EventName = "PreflightFailed")]
    public static partial void PreflightFailed(ILogger logger, string partner, string error);
}
