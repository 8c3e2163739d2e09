using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Settings;

/// <summary>One setting: its configuration key, its environment variable, and its value (secrets say only whether they are set).</summary>
public sealed record Setting(string Key, string EnvironmentVariable, string Value);

/// <summary>
/// Every setting Skyport reads, found from its options classes (each <see cref="IValidatedOptions"/> with a
/// <c>Section</c>), so <c>./skyport config check</c>, <c>config reference</c> and the README's reference
/// cannot fall behind the code. Values of secrets are never shown.
/// </summary>
public static class SettingsCatalog
{
    /// <summary>Stands for a name the operator chooses (an OIDC provider's, say) in the reference.</summary>
    public const string NamePlaceholder = "NAME";

    public static IReadOnlyList<(string Section, Type Type)> OptionsTypes() =>
    [
        .. typeof(SkyportOptions).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IValidatedOptions).IsAssignableFrom(t))
            .Select(t => (Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static), Type: t))
            .Where(x => x.Field is { IsLiteral: true })
            .Select(x => ((string)x.Field!.GetRawConstantValue()!, x.Type))
            .OrderBy(x => x.Item1, StringComparer.Ordinal),
    ];

    /// <summary>The settings of one options object; empty dictionaries of sub-options are described with <see cref="NamePlaceholder"/>.</summary>
    public static IEnumerable<Setting> Describe(string section, object options, bool placeholders = false) => Walk(section, options, placeholders);

    /// <summary>The defaults of every setting, as the reference lists them.</summary>
    public static IEnumerable<Setting> Defaults() =>
        OptionsTypes().SelectMany(o => Describe(o.Section, Activator.CreateInstance(o.Type)!, placeholders: true));

    private static IEnumerable<Setting> Walk(string prefix, object options, bool placeholders)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanRead && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0))
        {
            var key = $"{prefix}:{property.Name}";
            var value = property.GetValue(options);
            var type = property.PropertyType;
            if (IsLeaf(type))
            {
                yield return new Setting(key, key.Replace(":", "__"), IsSecret(property.Name) ? SecretState(property.Name, value) : Format(value));
            }
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && !IsLeaf(type.GetGenericArguments()[1]))
            {
                var entries = Entries((IDictionary)value!);
                if (entries.Count == 0 && placeholders)
                {
                    entries.Add(new DictionaryEntry(NamePlaceholder, Activator.CreateInstance(type.GetGenericArguments()[1])));
                }
                foreach (var entry in entries)
                {
                    foreach (var setting in Walk($"{key}:{entry.Key}", entry.Value!, placeholders))
                    {
                        yield return setting;
                    }
                }
            }
            else if (value is not null)
            {
                foreach (var setting in Walk(key, value, placeholders))
                {
                    yield return setting;
                }
            }
        }
    }

    private static List<DictionaryEntry> Entries(IDictionary dictionary)
    {
        var entries = new List<DictionaryEntry>();
        var enumerator = dictionary.GetEnumerator();
        while (enumerator.MoveNext())
        {
            entries.Add(enumerator.Entry);
        }
        return entries;
    }

    private static bool IsLeaf(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal)
               || (t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t) && !(t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>) && !IsLeaf(t.GetGenericArguments()[1])));
    }

    private static bool IsSecret(string name) =>
        name.EndsWith("Secret", StringComparison.Ordinal) || name.EndsWith("Password", StringComparison.Ordinal) || name == "ConnectionString";

    private static string SecretState(string name, object? value)
    {
        var text = value as string;
        if (string.IsNullOrEmpty(text))
        {
            return "(not set)";
        }
        if (name != "ConnectionString")
        {
            return "(set)";
        }
        // A connection string is useful to see, its password is not.
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = text };
            foreach (var k in builder.Keys.Cast<string>().Where(k => k.Contains("password", StringComparison.OrdinalIgnoreCase) || k.Equals("pwd", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                builder[k] = "***";
            }
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(set, unparsable)";
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        string s => s,
        IDictionary d => string.Join(", ", Entries(d).Select(e => $"{e.Key}={e.Value}")),
        IEnumerable items => string.Join(" ", items.Cast<object>().Select(i => Convert.ToString(i, CultureInfo.InvariantCulture))),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
