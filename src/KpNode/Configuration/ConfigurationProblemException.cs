namespace KpNode.Configuration;

/// <summary>A configuration that cannot run; the message lists every key at fault and what to do.</summary>
internal sealed class ConfigurationProblemException(string file, IReadOnlyList<string> problems)
    : Exception($"The node configuration {file} cannot be used:{Environment.NewLine}"
                + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
