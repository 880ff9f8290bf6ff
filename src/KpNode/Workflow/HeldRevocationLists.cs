using KpNode.Diagnostics;
using KpNode.Storage;
using KpNode.Trust;

namespace KpNode.Workflow;

/// <summary>The revocation lists the store holds, checked against their roots again and enforced from start-up on.</summary>
internal static class HeldRevocationLists
{
    public static RevokedKeys Load(INodeStore store, NodeCredentials credentials, Partners partners, ILogger logger)
    {
        var keys = new RevokedKeys();
        foreach (var stored in store.AllRevocationLists())
        {
            IReadOnlyCollection<System.Security.Cryptography.X509Certificates.X509Certificate2>? roots =
                stored.Participant == credentials.Participant ? credentials.Anchors : partners.Find(stored.Participant)?.Anchors;
            if (roots is null)
                continue; // a partner no longer configured: nothing of its is accepted anyway
            try
            {
                keys.Hold(stored.Participant, RevocationList.Verified(stored.Der, roots, stored.Participant));
            }
            catch (RevocationListException e)
            {
                Log.StoredRevocationListInvalid(logger, stored.Participant, e.Message);
            }
        }

        return keys;
    }
}
