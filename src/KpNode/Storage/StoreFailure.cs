using LiteDB;

namespace KpNode.Storage;

/// <summary>Tells callers outside Storage whether a failure means the store cannot answer now, without them knowing its engine's exceptions.</summary>
internal static class StoreFailure
{
    /// <summary>The store is closed, failing or its file unreadable: a reader should go without, not fail.</summary>
    public static bool IsUnavailable(Exception e) =>
        e is ObjectDisposedException or InvalidOperationException or IOException or LiteException;
}
