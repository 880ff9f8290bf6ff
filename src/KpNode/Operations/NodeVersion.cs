using System.Reflection;

namespace KpNode.Operations;

/// <summary>The version this binary reports to operators and partners.</summary>
internal static class NodeVersion
{
    public static string Current { get; } =
        typeof(NodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
