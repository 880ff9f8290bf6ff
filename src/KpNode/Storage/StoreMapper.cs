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

        return mapper;
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
