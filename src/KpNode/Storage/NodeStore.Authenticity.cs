namespace KpNode.Storage;

/// <summary>The authenticity statements kept as evidence, found by the certificate they are about or the time they were kept.</summary>
internal sealed partial class NodeStore
{
    public IReadOnlyList<StoredAuthenticityStatement> AuthenticityStatementsAbout(string number)
    {
        ArgumentNullException.ThrowIfNull(number);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"the authenticity statements about {number}", () => AuthenticityStatements.Query()
            .Where("$.CertificateNumber = @0", number).OrderBy(x => x.At).ToEnumerable().Select(Unpacked).ToList());
    }

    public IReadOnlyList<StoredAuthenticityStatement> AuthenticityStatementsBetween(DateTime from, DateTime until)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading("the authenticity statements of a period", () => AuthenticityStatements.Query()
            .Where("$.At >= @0 AND $.At < @1", StoreMapper.AsUtc(from), StoreMapper.AsUtc(until)).OrderBy(x => x.At).ToEnumerable().Select(Unpacked).ToList());
    }

    public IReadOnlyList<string> AuthenticityStatementIdsAfter(string? after, int max) =>
        Reading("the authenticity statements' index", () => KeysAfter(AuthenticityStatements, after, max));

    public StoredAuthenticityStatement? FindAuthenticityStatement(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"authenticity statement {id}", () => AuthenticityStatements.FindById(id) is { } found ? Unpacked(found) : null);
    }

    private StoredAuthenticityStatement Unpacked(AuthenticityStatementDocument document) => document.ToStored(Packing.Unpack(document.Envelope, FindSigner));
}
