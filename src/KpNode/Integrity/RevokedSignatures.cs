using KpNode.Storage;
using KpNode.Trust;

namespace KpNode.Integrity;

/// <summary>
/// How many messages the store holds that were signed by a key revoked at the time (status and metrics). Counted by
/// reading every message once per newer revocation list: lists change rarely, and what arrives after a list is held
/// and is signed by a key it revokes is refused, so the count only changes with the lists.
/// </summary>
internal sealed class RevokedSignatures(INodeStore store, RevokedKeys keys, NodeCredentials credentials)
{
    private const int Page = 500;
    private readonly Lock _gate = new();
    private (long Version, long Count) _counted = (0, 0);

    public long Count
    {
        get
        {
            var version = keys.Version;
            lock (_gate)
            {
                if (_counted.Version != version)
                    _counted = (version, CountNow());
                return _counted.Count;
            }
        }
    }

    private long CountNow()
    {
        long count = 0;
        string? after = null;
        while (store.MessageIdsAfter(after, Page) is { Count: > 0 } ids)
        {
            foreach (var id in ids)
            {
                try
                {
                    if (store.FindMessage(id) is { } message && RevokedSignature.Of(keys, message, credentials.Participant) is not null)
                        count++;
                }
                catch (DamagedRecordException)
                {
                    // Damage is the store check's to report; it is not a revoked signature.
                }
            }

            after = ids[^1];
        }

        return count;
    }
}
