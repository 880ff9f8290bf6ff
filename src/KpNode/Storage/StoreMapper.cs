using LiteDB;

namespace KpNode.Storage;

/// <summary>Builds the BsonMapper the store uses, so stored documents read back exactly as written.</summary>
internal static class StoreMapper
{
    public static BsonMapper Create()
    {
        var mapper = new BsonMapper
        {
            // LiteDB's defaults trim strings and turn "" into null; stored text is evidence, so keep it as given.
            TrimWhitespace = false,
            EmptyStringToNull = false,
            // Enums as names: the file is what an operator or auditor inspects in a dispute, and
            // "Delivered" needs no lookup table. The price: renaming an enum member needs a migration.
            EnumAsInteger = false,
        };

        // LiteDB would convert an Unspecified date as if it were local time, shifting a date-only
        // value such as DateOfIssue on a node whose clock is not UTC; treat it as UTC instead.
        // Reading back, the UTC_DATE pragma already yields UTC; converting again keeps it so even
        // for a file opened without the pragma.
        mapper.RegisterType<DateTime>(
            serialize: value => new BsonValue(AsUtc(value)),
            deserialize: bson => AsUtc(bson.AsDateTime));

        // LiteDB publishes a type's entity mapper before it has filled in its members (to allow recursive types), so a
        // thread that reads a type for the first time alongside another can map it with members missing, e.g. an event
        // read back with no status. Built here, before the store is shared, every type is complete when first read.
        foreach (var type in MappedTypes(DocumentTypes))
        {
            _ = EntityMethod.MakeGenericMethod(type).Invoke(mapper, null);
        }

        return mapper;
    }

    /// <summary>The type of every collection's documents.</summary>
    internal static readonly Type[] DocumentTypes =
    [
        typeof(CertificateDocument), typeof(Domain.PartnerMessage), typeof(AuditEntry), typeof(SequenceDocument), typeof(SignerDocument),
        typeof(RevocationListDocument), typeof(PartnerHistoryDocument), typeof(AuthenticityStatementDocument), typeof(ApprovalDocument),
    ];

    private static readonly System.Reflection.MethodInfo EntityMethod = typeof(BsonMapper).GetMethod(nameof(BsonMapper.Entity))!;

    /// <summary>The document types and every class of ours they hold, in properties or in collections.</summary>
    internal static IReadOnlyCollection<Type> MappedTypes(IEnumerable<Type> roots)
    {
        var found = new HashSet<Type>();
        var pending = new Stack<Type>(roots);
        while (pending.TryPop(out var type))
        {
            if (type.Assembly != typeof(StoreMapper).Assembly || !type.IsClass || !found.Add(type))
                continue;
            foreach (var property in type.GetProperties())
            {
                var held = property.PropertyType;
                var element = held.IsArray ? held.GetElementType()
                    : held.IsGenericType ? held.GetGenericArguments().LastOrDefault() : held;
                if (element is not null)
                    pending.Push(element);
            }
        }

        return found;
    }

    public static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    /// <summary>LiteDB keeps dates to the millisecond; values the store computes with (audit hashes) must match what it reads back.</summary>
    public static DateTime ToStoredPrecision(DateTime value)
    {
        var utc = AsUtc(value);
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }
}
