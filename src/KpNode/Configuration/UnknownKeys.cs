using System.Collections;
using System.Reflection;

namespace KpNode.Configuration;

/// <summary>
/// Finds keys under "Node" that no options class has: the binder ignores them silently, so "Partnrs" would start a
/// node with no partners. The known keys are the options classes' bindable properties, read by reflection, so a new
/// option needs no second list; the nearest known key is suggested.
/// </summary>
internal static class UnknownKeys
{
    /// <summary>One problem per unknown key, named as written (file or environment), e.g. "Node:Partnrs: … did you mean Node:Partners?".</summary>
    public static IEnumerable<string> Check(IConfigurationSection section, Type optionsType)
    {
        var known = KnownKeys(optionsType);
        foreach (var child in section.GetChildren())
        {
            if (!known.TryGetValue(child.Key, out var property))
            {
                yield return Problem(child, known.Keys);
                continue;
            }

            foreach (var problem in CheckValue(child, property.PropertyType))
            {
                yield return problem;
            }
        }
    }

    private static IEnumerable<string> CheckValue(IConfigurationSection section, Type type)
    {
        if (ElementType(type) is { } element)
        {
            return IsComplex(element) ? section.GetChildren().SelectMany(item => Check(item, element)) : [];
        }

        return IsComplex(type) ? Check(section, type) : [];
    }

    private static string Problem(IConfigurationSection unknown, IEnumerable<string> known)
    {
        var parent = unknown.Path[..^unknown.Key.Length].TrimEnd(':');
        var nearest = known
            .Select(k => (Key: k, Distance: Distance(k.ToUpperInvariant(), unknown.Key.ToUpperInvariant())))
            .OrderBy(k => k.Distance).ThenBy(k => k.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        // A suggestion only when it is plausibly a typo; otherwise the list of what is known there.
        return nearest.Key is not null && nearest.Distance <= Math.Max(2, unknown.Key.Length / 3)
            ? $"{unknown.Path}: not a known key; did you mean {parent}:{nearest.Key}?"
            : $"{unknown.Path}: not a known key (known under {parent}: {string.Join(", ", known.Order(StringComparer.Ordinal))})";
    }

    /// <summary>Properties the binder fills: settable ones, and get-only ones of a class type it binds into.</summary>
    private static Dictionary<string, PropertyInfo> KnownKeys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod is { IsPublic: true } || IsComplex(p.PropertyType)))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    private static bool IsComplex(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type);

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.GetGenericArguments() is [var element] ? element
        : null;

    /// <summary>Levenshtein distance.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
