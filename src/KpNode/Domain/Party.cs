namespace KpNode.Domain;

/// <summary>An exporter or importer as a certificate names it: name, address and ISO 3166-1 alpha-2 country.</summary>
internal sealed record Party(string Name, string Address, string Country);
