using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skyport.Server.Cloud.Authz;

/// <summary>An authorization's settings once validated: plain values and secrets, kept apart.</summary>
public sealed class AuthzConfig(IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, string> secrets)
{
    public IReadOnlyDictionary<string, string> Values { get; } = values;
    public IReadOnlyDictionary<string, string> Secrets { get; } = secrets;

    public string? this[string key] => Values.TryGetValue(key, out var v) ? v : Secrets.TryGetValue(key, out var s) ? s : null;

    public string Required(string key) => this[key] ?? throw new InvalidOperationException($"Authorization config lacks '{key}'.");

    public int? Int(string key) => this[key] is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string ValuesJson() => JsonSerializer.Serialize(Values.OrderBy(v => v.Key, StringComparer.Ordinal).ToDictionary());

    public string SecretsJson() => JsonSerializer.Serialize(Secrets.OrderBy(v => v.Key, StringComparer.Ordinal).ToDictionary());

    public static IReadOnlyDictionary<string, string> Parse(string? json) =>
        string.IsNullOrEmpty(json) ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;

    /// <summary>The config as the API shows it: values only, never secrets.</summary>
    public JsonObject ToJson()
    {
        var result = new JsonObject();
        foreach (var (key, value) in Values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            result[key] = key == "token_ttl" && int.TryParse(value, out var number) ? JsonValue.Create(number) : JsonValue.Create(value);
        }
        return result;
    }
}
