using System.Text.Json;
using Skyport.Server.Cloud.Authz;

namespace Skyport.Server.Web;

/// <summary>How an authorization is named in lists and menus: its description, or its provider and main setting.</summary>
public static class AuthzLabels
{
    public static string Describe(AuthzView authz)
    {
        var main = authz.Provider switch
        {
            "aws" => Value(authz, "role_arn"),
            "azure" => Value(authz, "account_name") ?? Value(authz, "account_url"),
            "gcp" => Value(authz, "service_account_email") ?? Value(authz, "client_email") ?? Value(authz, "audience"),
            _ => null,
        };
        var name = string.IsNullOrWhiteSpace(authz.Description) ? main ?? authz.Id : authz.Description;
        return $"{ProviderName(authz.Provider)}: {name}";
    }

    public static string? Value(AuthzView authz, string key) => authz.Config[key]?.GetValue<string>();

    public static string ProviderName(string provider) => provider switch
    {
        "aws" => "AWS",
        "azure" => "Azure",
        "gcp" => "Google Cloud",
        _ => provider,
    };
}

/// <summary>Send answers carry each failure as a JSON-encoded string (the seed's shape); people read "object: reason".</summary>
public static class SendLabels
{
    public static string Describe(string label)
    {
        try
        {
            using var json = JsonDocument.Parse(label);
            var name = json.RootElement.TryGetProperty("object", out var o) ? o.GetString() : null;
            var error = json.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
            return $"{name}: {error}";
        }
        catch (JsonException)
        {
            return label;
        }
    }
}
