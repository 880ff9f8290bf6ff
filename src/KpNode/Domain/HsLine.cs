namespace KpNode.Domain;

/// <summary>One line of a certificate: the carats and value shipped under one HS subheading.</summary>
internal sealed record HsLine(string HsCode, Carats Carats, UsDollars Value);
