namespace KpNode.Wire;

/// <summary>DSSE payload types of the kp.v1 business messages; each names the protobuf message in the payload.</summary>
internal static class PayloadTypes
{
    public const string CertificateIssued = "application/vnd.kp.v1.certificate-issued+protobuf";
    public const string CertificateVoided = "application/vnd.kp.v1.certificate-voided+protobuf";
    public const string ImportConfirmation = "application/vnd.kp.v1.import-confirmation+protobuf";
    public const string Receipt = "application/vnd.kp.v1.receipt+protobuf";
    public const string PingAnswer = "application/vnd.kp.v1.ping-answer+protobuf";
    public const string AuthenticityStatement = "application/vnd.kp.v1.authenticity-statement+protobuf";
    public const string RevocationNotice = "application/vnd.kp.v1.revocation-notice+protobuf";
    public const string Hello = "application/vnd.kp.v1.hello+protobuf";
    public const string HistoryDigest = "application/vnd.kp.v1.history-digest+protobuf";

}
