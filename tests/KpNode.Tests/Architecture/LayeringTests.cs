using System.Text.RegularExpressions;
using KpNode.Tests.Cli;

namespace KpNode.Tests.Architecture;

/// <summary>The layering the README's layout table shows holds in the code: each folder uses only lower layers.</summary>
public sealed partial class LayeringTests
{
    [Fact]
    public void Every_folder_of_src_uses_only_the_folders_below_it_in_the_README_layout_table()
    {
        var root = KpNodeProcess.RepoRoot();
        var layers = LayersFromReadme(File.ReadAllText(Path.Combine(root, "README.md")));
        var src = Path.Combine(root, "src", "KpNode");
        var folders = Directory.GetDirectories(src).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
        Assert.All(folders, f => Assert.True(layers.ContainsKey(f!), $"src/KpNode/{f}/ is missing from the README's layout table"));

        var wrong = new List<string>();
        foreach (var folder in folders)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(src, folder!), "*.cs", SearchOption.AllDirectories))
            {
                foreach (var used in Reference().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Distinct())
                {
                    if (used != folder && layers.TryGetValue(used, out var layer) && layer >= layers[folder!])
                    {
                        wrong.Add($"{Path.GetRelativePath(root, file)} (layer {layers[folder!]}) uses {used} (layer {layer})");
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, "Dependencies that point up or sideways:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void The_check_finds_a_dependency_that_points_up()
    {
        var layers = LayersFromReadme("| 1 | `src/KpNode/Domain/` | x |\n| 7 | `src/KpNode/Workflow/` | y |");
        Assert.Equal(new Dictionary<string, int> { ["Domain"] = 1, ["Workflow"] = 7 }, layers);
        Assert.Equal(["Workflow"], Reference().Matches("using KpNode.Workflow;\nvar x = 1;").Select(m => m.Groups[1].Value));
    }

    private static Dictionary<string, int> LayersFromReadme(string readme) =>
        LayerRow().Matches(readme).ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^\| (\d+) \| `src/KpNode/([A-Za-z]+)/`", RegexOptions.Multiline)]
    private static partial Regex LayerRow();

    [GeneratedRegex(@"\bKpNode\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex Reference();
}
