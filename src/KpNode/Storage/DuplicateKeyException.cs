namespace KpNode.Storage;

/// <summary>Thrown when a write would store a second document under a key that must be unique, such as a certificate number or message id.</summary>
internal sealed class DuplicateKeyException : Exception
{
    public DuplicateKeyException(string collection, string key, Exception? inner = null)
        : base($"'{key}' is already stored in {collection}, where keys are unique.", inner)
    {
        Collection = collection;
        Key = key;
    }

    public string Collection { get; }
    public string Key { get; }
}
