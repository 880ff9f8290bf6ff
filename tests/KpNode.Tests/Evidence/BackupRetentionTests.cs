using KpNode.Configuration;

namespace KpNode.Tests.Evidence;

/// <summary>Node:RetentionYears: 5 by default, and a value below what the KPCS requires is refused naming the key.</summary>
public sealed class BackupRetentionTests
{
    [Fact]
    public void Retention_defaults_to_5_years()
    {
        var options = new NodeOptions();
        Assert.Equal(5, options.RetentionYears);
        Assert.DoesNotContain(NodeOptionsValidator.Check(options), p => p.Contains("RetentionYears", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(101)]
    public void Retention_outside_3_to_100_years_is_refused_naming_the_key(int years)
    {
        var problems = NodeOptionsValidator.Check(new NodeOptions { RetentionYears = years }).ToList();
        Assert.Contains(problems, p => p.StartsWith($"Node:RetentionYears: {years} is outside 3..100", StringComparison.Ordinal));
    }
}
