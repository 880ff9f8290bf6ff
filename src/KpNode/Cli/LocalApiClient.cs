using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using KpNode.Configuration;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Cli;

/// <summary>
/// How the CLI reaches a running node: the Local API address from the node's config, our operator
/// certificate for mTLS, and only our own root trusted for the node. The CLI never opens the database.
/// </summary>
internal sealed class LocalApiClient : IDisposable
{
    private readonly GrpcChannel _channel;

    private LocalApiClient(GrpcChannel channel, Uri address)
    {
        _channel = channel;
        Address = address;
        Api = new LocalApiService.LocalApiServiceClient(channel);
        Printing = new PrintingService.PrintingServiceClient(channel);
        Operations = new OperationsService.OperationsServiceClient(channel);
        Audit = new AuditService.AuditServiceClient(channel);
        Evidence = new EvidenceService.EvidenceServiceClient(channel);
        Backup = new BackupService.BackupServiceClient(channel);
        Events = new EventService.EventServiceClient(channel);
        Approvals = new ApprovalService.ApprovalServiceClient(channel);
        Health = new Grpc.Health.V1.Health.HealthClient(channel);
    }

    public Uri Address { get; }

    public LocalApiService.LocalApiServiceClient Api { get; }

    /// <summary>The printable certificate's QR token.</summary>
    public PrintingService.PrintingServiceClient Printing { get; }

    /// <summary>Status with causes, peer ping and retry-now, on the same connection.</summary>
    public OperationsService.OperationsServiceClient Operations { get; }

    public AuditService.AuditServiceClient Audit { get; }

    public EvidenceService.EvidenceServiceClient Evidence { get; }

    public BackupService.BackupServiceClient Backup { get; }

    /// <summary>The event stream (WatchEvents).</summary>
    public EventService.EventServiceClient Events { get; }

    /// <summary>Four-eyes approvals.</summary>
    public ApprovalService.ApprovalServiceClient Approvals { get; }

    /// <summary>The standard grpc.health.v1 service, as any health checker sees it.</summary>
    public Grpc.Health.V1.Health.HealthClient Health { get; }

    /// <summary>A folder with root.crt, operator.crt and operator.key: the operator certificate to present instead of the node's PKI folder's.</summary>
    public const string OperatorVariable = "KPNODE_OPERATOR";

    /// <summary>Connects as the operator of <paramref name="operatorDirectory"/>, else of KPNODE_OPERATOR, else of the node's PKI folder.</summary>
    public static LocalApiClient Connect(NodeConfig config, int? localPortOverride = null, string? operatorDirectory = null)
    {
        var operatorDir = operatorDirectory
            ?? (Environment.GetEnvironmentVariable(OperatorVariable) is { Length: > 0 } chosen ? chosen : config.Options.PkiDirectory);
        X509Certificate2 root, op;
        try
        {
            (root, op) = PkiFiles.LoadOperator(operatorDir);
        }
        catch (PkiFileException e) when (operatorDir != config.Options.PkiDirectory)
        {
            throw new PkiFileException(e.FilePath, $"{e.Problem} ({OperatorVariable} names {operatorDir}: the folder of an operator's root.crt, operator.crt and operator.key)");
        }

        var trust = new TrustChain();
        var address = config.LocalListen.ToUri(localPortOverride ?? config.LocalListen.Port);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = [op],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null
                    && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                    && trust.Validate(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), [],
                        KeyPurpose.ServerAuth, DateTimeOffset.UtcNow, [root]).IsTrusted,
            },
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        return new LocalApiClient(channel, address);
    }

    public void Dispose() => _channel.Dispose();
}
