using KpNode.Wire.V1;

namespace KpNode.Outbox;

/// <summary>What the lanes count as they deliver; the node's metrics implement it, so the outbox does not depend on operations.</summary>
internal interface IDeliveryMetrics
{
    /// <summary>A partner signed a receipt for one of our messages.</summary>
    void Delivered(string partner, ReceiptOutcome outcome, TimeSpan sinceQueued);

    /// <summary>An attempt failed; the message stays in the outbox.</summary>
    void DeliveryFailed(string partner, FailureCause cause);
}
