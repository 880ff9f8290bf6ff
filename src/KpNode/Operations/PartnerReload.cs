using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>
/// <c>kpnode partner reload</c> (and <c>partner add|update</c> on a running node): the node reads its config file and
/// the partners' roots again and switches to that set at once. A new partner gets a lane, a changed one keeps its lane
/// (backoffs, circuit) and gets a new channel, an unchanged one is not touched. The switch is in the audit log.
/// </summary>
internal sealed class PartnerReload(
    NodeConfig config, Partners partners, OutboxDispatcher outbox, PeerChannels channels, INodeStore store, RevokedKeys revoked,
    PartnerPreflight preflight, Workflow.CertificateWorkflow workflow, IOptions<DeliveryOptions> delivery, ILogger<PartnerReload> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>What a reload did to one partner; <see cref="Partner"/> is the partner as it is now (as it was, if removed).</summary>
    internal sealed record Outcome(Partner Partner, PartnerReloadChange Change, IReadOnlyList<string> Differences);

    public async Task<ReloadPartnersResponse> ReloadAsync(string op, CancellationToken ct)
    {
        List<Outcome> outcomes;
        await _gate.WaitAsync(ct);
        try
        {
            IReadOnlyList<Partner> loaded;
            try
            {
                loaded = Candidate();
            }
            catch (ConfigurationProblemException e)
            {
                var problem = string.Join("; ", e.Problems);
                Log.PartnersReloadRefused(logger, op, problem);
                throw ApiErrors.Refuse(StatusCode.FailedPrecondition,
                    $"{config.FilePath} cannot be used, so the node keeps the partners it has: {problem}");
            }

            outcomes = Compare(loaded);
            await ApplyAsync(outcomes, op);
        }
        finally
        {
            _gate.Release();
        }

        var described = string.Join("; ", outcomes.Select(Describe));
        if (outcomes.Any(o => o.Change != PartnerReloadChange.Unchanged))
        {
            await store.WriteDurableAsync(w => w.Audit(op, "partners.reloaded", config.Participant, described), ct);
        }

        Log.PartnersReloaded(logger, op, config.FilePath, described.Length == 0 ? "no partners" : described);
        var response = new ReloadPartnersResponse { Config = config.FilePath };
        response.Partners.AddRange(outcomes.OrderBy(o => o.Partner.Code, StringComparer.Ordinal).Select(o => new ReloadedPartner
        {
            Participant = o.Partner.Code,
            Change = o.Change,
            Address = o.Partner.Address.OriginalString,
            RootFingerprints = { o.Partner.Anchors.Select(RootFingerprint.Of) },
            Differences = { o.Differences },
        }));
        return response;
    }

    /// <summary>The partners of the config file as it is now, checked as at start, plus what only a running node can refuse.</summary>
    private IReadOnlyList<Partner> Candidate()
    {
        var next = NodeConfig.Load(config.FilePath);
        var problems = new List<string>();
        if (next.Participant != config.Participant)
        {
            problems.Add($"{ConfigKeys.Key(ConfigKeys.Node, "Participant")}: the file names {next.Participant}, but the node runs as {config.Participant}; "
                         + "a node changes participant only by a restart");
        }

        IReadOnlyList<Partner> loaded;
        try
        {
            loaded = Partners.Read(next);
        }
        catch (ConfigurationProblemException e)
        {
            problems.AddRange(e.Problems);
            loaded = [];
        }

        var kept = next.Options.Partners.Select(p => p.Participant).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in partners.All.Where(p => !kept.Contains(p.Code)).OrderBy(p => p.Code, StringComparer.Ordinal))
        {
            var pending = store.SummarizePending(gone.Code).Count;
            if (pending > 0)
            {
                problems.Add($"Node:Partners: {gone.Code} is no longer listed, but {pending} message(s) are still pending to it; "
                             + $"a partner is removed only once its outbox is empty: let them be delivered, or cancel them ('kpnode outbox list --partner {gone.Code}'), then reload");
            }
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationProblemException(config.FilePath, problems);
        }

        return loaded;
    }

    /// <summary>Each partner before and after; an unchanged one keeps the very record it had, so nothing that holds it sees a change.</summary>
    private List<Outcome> Compare(IReadOnlyList<Partner> loaded)
    {
        var outcomes = new List<Outcome>();
        foreach (var next in loaded)
        {
            if (partners.Find(next.Code) is not { } before)
            {
                outcomes.Add(new Outcome(next, PartnerReloadChange.Added, []));
                continue;
            }

            var differences = before.Differences(next);
            outcomes.Add(differences.Count == 0 && before.ConfigIndex == next.ConfigIndex
                ? new Outcome(before, PartnerReloadChange.Unchanged, [])
                : new Outcome(next, differences.Count == 0 ? PartnerReloadChange.Unchanged : PartnerReloadChange.Changed, differences));
        }

        var listed = loaded.Select(p => p.Code).ToHashSet(StringComparer.Ordinal);
        outcomes.AddRange(partners.All.Where(p => !listed.Contains(p.Code)).Select(p => new Outcome(p, PartnerReloadChange.Removed, [])));
        return outcomes;
    }

    private async Task ApplyAsync(List<Outcome> outcomes, string op)
    {
        // One swap: from here every reader (Peer API gate, workflow, channels) sees the new set.
        partners.Replace(outcomes.Where(o => o.Change != PartnerReloadChange.Removed).Select(o => o.Partner));
        // Before the hello: a partner never sent our current revocation list (added since it was published) is sent it now,
        // and its hello then finds the notice queued. Not cancellable: the new set is already in use.
        await workflow.SendOwnRevocationListToNewPartnersAsync(op, CancellationToken.None);
        foreach (var outcome in outcomes)
        {
            switch (outcome.Change)
            {
                case PartnerReloadChange.Added:
                    HoldStoredRevocationList(outcome.Partner);
                    outbox.Add(outcome.Partner).Wake(resetBackoff: false);
                    preflight.Greet(outcome.Partner.Code);
                    break;
                case PartnerReloadChange.Changed:
                    // The channel follows by itself (PeerChannels compares the partner it was made for with the current one).
                    outbox.Lane(outcome.Partner.Code)?.Use(outcome.Partner);
                    preflight.Greet(outcome.Partner.Code);
                    break;
                case PartnerReloadChange.Removed:
                    await outbox.RemoveAsync(outcome.Partner.Code);
                    channels.Forget(outcome.Partner.Code, delivery.Value.AttemptTimeout * 2);
                    preflight.Greet(outcome.Partner.Code);
                    break;
            }
        }
    }

    /// <summary>A partner configured again may have had a revocation list held for it before: enforce it again, as at start.</summary>
    private void HoldStoredRevocationList(Partner partner)
    {
        if (store.FindRevocationList(partner.Code) is not { } stored)
            return;
        try
        {
            revoked.Hold(partner.Code, RevocationList.Verified(stored.Der, partner.Anchors, partner.Code));
        }
        catch (RevocationListException e)
        {
            Log.StoredRevocationListInvalid(logger, partner.Code, e.Message);
        }
    }

    private static string Describe(Outcome o) => o.Change switch
    {
        PartnerReloadChange.Added => $"{o.Partner.Code} added ({o.Partner.Address.OriginalString}, root {string.Join(" / ", o.Partner.Anchors.Select(RootFingerprint.Of))})",
        PartnerReloadChange.Changed => $"{o.Partner.Code} changed: {string.Join(", ", o.Differences)}",
        PartnerReloadChange.Removed => $"{o.Partner.Code} removed",
        _ => $"{o.Partner.Code} unchanged",
    };
}
