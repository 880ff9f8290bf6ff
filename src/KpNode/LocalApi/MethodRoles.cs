using KpNode.Trust;
using KpNode.Wire.V1;
using static KpNode.Trust.OperatorRole;

namespace KpNode.LocalApi;

/// <summary>
/// The one table of who may call what on the Local endpoint: every method of every Local service and the operator
/// roles that may call it (any one of them). The README's "Roles" table is this one; a test keeps every mapped method in it.
/// Health and reflection are not in it: any operator the handshake admitted may use them.
/// </summary>
internal static class MethodRoles
{
    private static readonly OperatorRole[] Issuing = [IssuingOfficer];
    private static readonly OperatorRole[] Readers = [IssuingOfficer, ApprovingOfficer, Customs];
    private static readonly OperatorRole[] Figures = [Statistics, Administrator];
    private static readonly OperatorRole[] Admin = [Administrator];
    private static readonly OperatorRole[] Everyone = [.. OperatorRoles.All];

    /// <summary>The services whose every method needs a role; a method of theirs missing from the table is refused to all.</summary>
    public static readonly IReadOnlyList<Google.Protobuf.Reflection.ServiceDescriptor> Services =
    [
        LocalApiService.Descriptor, OperationsService.Descriptor, PrintingService.Descriptor, AuditService.Descriptor,
        EvidenceService.Descriptor, BackupService.Descriptor, EventService.Descriptor, ApprovalService.Descriptor,
    ];

    private static readonly Dictionary<string, IReadOnlyList<OperatorRole>> Table = Build(
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.IssueCertificate), Issuing),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.VoidCertificate), Issuing),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.ConfirmImport), Issuing),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.GetCertificate), Readers),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.ListCertificates), Readers),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.CheckCertificate), Readers),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.GetStatus), Everyone),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.GetStatistics), Figures),
        (LocalApiService.Descriptor, nameof(LocalApiService.LocalApiServiceBase.PublishRevocationList), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.GetNodeStatus), Everyone),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.PingPeer), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.RetryNow), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.ListOutbox), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.CancelMessage), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.ResignMessage), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.ReloadCredentials), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.ReloadPartners), Admin),
        (OperationsService.Descriptor, nameof(OperationsService.OperationsServiceBase.Reconcile), Admin),
        (PrintingService.Descriptor, nameof(PrintingService.PrintingServiceBase.SignCertificateToken), Readers),
        (AuditService.Descriptor, nameof(AuditService.AuditServiceBase.ListAuditEntries), Admin),
        (AuditService.Descriptor, nameof(AuditService.AuditServiceBase.VerifyAudit), Admin),
        (EvidenceService.Descriptor, nameof(EvidenceService.EvidenceServiceBase.ExportEvidence), [.. Readers, Administrator]),
        (BackupService.Descriptor, nameof(BackupService.BackupServiceBase.TakeBackup), Admin),
        (EventService.Descriptor, nameof(EventService.EventServiceBase.WatchEvents), Readers),
        (ApprovalService.Descriptor, nameof(ApprovalService.ApprovalServiceBase.ListApprovals), [IssuingOfficer, ApprovingOfficer]),
        (ApprovalService.Descriptor, nameof(ApprovalService.ApprovalServiceBase.Approve), [ApprovingOfficer]),
        (ApprovalService.Descriptor, nameof(ApprovalService.ApprovalServiceBase.Reject), [ApprovingOfficer]));

    /// <summary>
    /// The roles that may call <paramref name="method"/> (gRPC's "/kp.v1.LocalApiService/IssueCertificate"); null for
    /// a method outside the role-checked services (health, reflection), and empty (nobody) for one of theirs not listed.
    /// </summary>
    public static IReadOnlyList<OperatorRole>? For(string method)
    {
        if (Table.TryGetValue(method, out var roles))
            return roles;
        return Services.Any(s => method.StartsWith($"/{s.FullName}/", StringComparison.Ordinal)) ? [] : null;
    }

    /// <summary>Every row, for the README and the test that keeps the table complete.</summary>
    public static IEnumerable<(string Method, IReadOnlyList<OperatorRole> Roles)> Rows => Table.Select(r => (r.Key, r.Value));

    /// <summary>"/kp.v1.LocalApiService/IssueCertificate" -> "IssueCertificate", as refusals name a method.</summary>
    public static string ShortName(string method) => method[(method.LastIndexOf('/') + 1)..];

    private static Dictionary<string, IReadOnlyList<OperatorRole>> Build(params (Google.Protobuf.Reflection.ServiceDescriptor Service, string Method, OperatorRole[] Roles)[] rows)
    {
        var table = new Dictionary<string, IReadOnlyList<OperatorRole>>(StringComparer.Ordinal);
        foreach (var (service, method, roles) in rows)
        {
            // A name the service does not have is a typo here, not a method nobody may call.
            if (service.FindMethodByName(method) is null)
                throw new InvalidOperationException($"{service.FullName} has no method {method}");
            table.Add($"/{service.FullName}/{method}", roles);
        }

        return table;
    }
}
