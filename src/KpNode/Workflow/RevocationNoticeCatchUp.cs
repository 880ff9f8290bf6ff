namespace KpNode.Workflow;

/// <summary>
/// At start, before the outbox runs: a partner configured while the node was down, after our revocation list was
/// published, is sent that list now (once: what was sent is recorded with the list).
/// </summary>
internal sealed class RevocationNoticeCatchUp(CertificateWorkflow workflow) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => workflow.SendOwnRevocationListToNewPartnersAsync("node start", cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
