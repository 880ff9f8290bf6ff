using KpNode.Exchange;
using KpNode.LocalApi;
using KpNode.Operations;
using KpNode.PeerApi;

namespace KpNode.Hosting;

/// <summary>Maps every service on its own listener only, behind authentication and the caller's policy.</summary>
internal static class NodeEndpoints
{
    public static void MapNode(this WebApplication app)
    {
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGrpcService<PeerExchangeApi>().ServedOn(Listener.Peer);
        app.MapGrpcService<HistoryApi>().ServedOn(Listener.Peer);
        foreach (var service in JsonApi.MapTranscoded(app))
            service.ServedOn(Listener.Local);
        var document = new Lazy<string>(() => JsonApi.OpenApiDocument(app.Services));
        app.MapGet(JsonApi.OpenApiPath, () => Results.Text(document.Value, "application/json"))
            .ServedOn(Listener.Local).RequireAuthorization(Callers.OperatorPolicy);
        app.MapGrpcService<OperationsApi>().ServedOn(Listener.Local);
        app.MapGrpcService<PrintingEndpoint>().ServedOn(Listener.Local);
        app.MapGrpcService<AuditApi>().ServedOn(Listener.Local);
        app.MapGrpcService<EvidenceApi>().ServedOn(Listener.Local);
        app.MapGrpcService<BackupApi>().ServedOn(Listener.Local);
        app.MapGrpcReflectionService().ServedOn(Listener.Local).RequireAuthorization(Callers.OperatorPolicy);
        // Health answers any caller a listener's handshake admitted: partners on the Peer port, operators on the Local one.
        app.MapGrpcHealthChecksService().ServedOn(Listener.Peer, Listener.Local);
        foreach (var page in app.MapOperationsPages())
        {
            page.ServedOn(Listener.Operations);
        }
    }
}
