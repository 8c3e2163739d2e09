using System.Text.Json;
using System.Text.RegularExpressions;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Cloud.Authz;

/// <summary>
/// The settings each cloud provider's authorization accepts, and their checks. Every error names the
/// offending key (<c>config.role_arn</c>), so a user can fix a form field without guessing.
/// </summary>
public static partial class AuthzProviders
{
    public static readonly IReadOnlyList<string> Names = ["aws", "azure", "gcp"];

    private sealed record Field(string Name, bool Secret, Func<string, string?> Check);

    private static readonly Dictionary<string, Field[]> Fields = new()
    {
        ["aws"] =
        [
            new("role_arn", false, v => RoleArn().IsMatch(v) ? null : "must be an IAM role ARN such as arn:aws:iam::123456789012:role/skyport"),
            new("token_ttl", false, v => int.TryParse(v, out var ttl) && ttl is >= 900 and <= 43200 ? null : "must be a number of seconds between 900 and 43200"),
            new("role_session_name", false, v => SessionName().IsMatch(v) ? null : "must be 2-64 characters of letters, digits and +=,.@-"),
            new("region", false, v => Region().IsMatch(v) ? null : "must be a region name such as us-east-1"),
            new("endpoint", false, HttpUrl),
            new("sts_endpoint", false, HttpUrl),
        ],
        ["azure"] =
        [
            new("tenant_id", false, v => Guid.TryParse(v, out _) || Domain().IsMatch(v) ? null : "must be a tenant GUID or domain"),
            new("client_id", false, v => Guid.TryParse(v, out _) ? null : "must be the application (client) GUID"),
            new("account_name", false, v => AccountName().IsMatch(v) ? null : "must be 3-24 lowercase letters and digits"),
            new("account_url", false, HttpUrl),
            new("client_secret", true, v => v.Length is > 0 and <= 1024 ? null : "must be 1-1024 characters"),
            new("authority_host", false, HttpUrl),
        ],
        ["gcp"] =
        [
            new("audience", false, v => PoolAudience().IsMatch(v) ? null : "must be a workload identity pool provider: //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER"),
            new("service_account_email", false, v => ServiceAccount().IsMatch(v) ? null : "must be a service account email such as skyport@project.iam.gserviceaccount.com"),
            new("project_id", false, v => v.Length is > 0 and <= 64 ? null : "must be a project id"),
            new("type", false, v => v == "service_account" ? null : "must be 'service_account'"),
            new("private_key_id", false, v => v.Length is > 0 and <= 128 ? null : "must be the key id"),
            new("private_key", true, v => v.Contains("PRIVATE KEY", StringComparison.Ordinal) ? null : "must be a PEM private key"),
            new("client_email", false, v => ServiceAccount().IsMatch(v) || v.Contains('@') ? null : "must be the service account's email"),
            new("client_id", false, v => v.Length is > 0 and <= 64 ? null : "must be the service account's client id"),
            new("token_uri", false, HttpUrl),
        ],
    };

    public static bool IsKnown(string provider) => Fields.ContainsKey(provider);

    public static IReadOnlyList<string> SecretNames(string provider) =>
        Fields.TryGetValue(provider, out var fields) ? fields.Where(f => f.Secret).Select(f => f.Name).ToList() : [];

    /// <summary>
    /// Validates <paramref name="config"/> for <paramref name="provider"/>. Secrets omitted from it keep
    /// their <paramref name="existingSecrets"/> values (so a form that never shows a secret can be resubmitted);
    /// an empty string removes a secret.
    /// </summary>
    public static AuthzConfig Validate(string provider, JsonElement config, bool hasIdentity, IReadOnlyDictionary<string, string>? existingSecrets = null)
    {
        if (!Fields.TryGetValue(provider, out var fields))
        {
            throw new RequestParameterInvalidException($"Unknown provider '{provider}'. Use one of: {string.Join(", ", Names)}.");
        }
        if (config.ValueKind != JsonValueKind.Object)
        {
            throw new RequestParameterInvalidException("'config' must be an object.");
        }
        var values = new Dictionary<string, string>();
        var secrets = new Dictionary<string, string>(existingSecrets ?? new Dictionary<string, string>());
        foreach (var property in config.EnumerateObject())
        {
            var field = fields.FirstOrDefault(f => f.Name == property.Name)
                ?? throw new RequestParameterInvalidException(
                    $"Unknown key 'config.{property.Name}' for provider {provider}. Known keys: {string.Join(", ", fields.Select(f => f.Name))}.");
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!.Trim(),
                JsonValueKind.Number => property.Value.GetRawText(),
                _ => throw new RequestParameterInvalidException($"'config.{property.Name}' must be a string."),
            };
            if (field.Secret && text.Length == 0)
            {
                secrets.Remove(field.Name);
                continue;
            }
            if (field.Check(text) is { } problem)
            {
                throw new RequestParameterInvalidException($"'config.{property.Name}' {problem}.");
            }
            if (field.Secret)
            {
                secrets[field.Name] = text;
            }
            else
            {
                values[field.Name] = text;
            }
        }
        var result = new AuthzConfig(values, secrets);
        CheckCombination(provider, result, hasIdentity);
        return result;
    }

    private static void CheckCombination(string provider, AuthzConfig config, bool hasIdentity)
    {
        void Require(params string[] keys)
        {
            var missing = keys.Where(k => config[k] is null).Select(k => $"config.{k}").ToArray();
            if (missing.Length > 0)
            {
                throw RequestParameterMissingException.For(missing);
            }
        }
        switch (provider)
        {
            case "aws":
                Require("role_arn");
                if (!hasIdentity)
                {
                    throw RequestParameterMissingException.For("authn_id");
                }
                break;
            case "azure":
                Require("tenant_id", "client_id");
                if (config["account_name"] is null && config["account_url"] is null)
                {
                    throw RequestParameterMissingException.For("config.account_name");
                }
                if (config["client_secret"] is null && !hasIdentity)
                {
                    throw new RequestParameterMissingException(
                        "Azure needs either 'authn_id' (keyless: the login's id token is the client assertion of a federated credential) or 'config.client_secret'.");
                }
                break;
            case "gcp":
                var keyless = config["audience"] is not null;
                var keyed = config["private_key"] is not null || config["client_email"] is not null;
                if (keyless == keyed)
                {
                    throw new RequestParameterInvalidException(
                        "GCP needs either 'config.audience' with 'authn_id' (keyless workload identity federation) or the fields of a service-account key, not both.");
                }
                if (keyless && !hasIdentity)
                {
                    throw RequestParameterMissingException.For("authn_id");
                }
                if (keyed)
                {
                    Require("client_email", "private_key");
                }
                break;
        }
    }

    private static string? HttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Host.Length > 0 ? null : "must be an http(s) URL";

    [GeneratedRegex(@"^arn:[a-z0-9-]+:iam::[0-9]{0,12}:role/[\w+=,.@/-]{1,512}$")]
    private static partial Regex RoleArn();

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionName();

    [GeneratedRegex(@"^[a-z0-9-]{2,32}$")]
    private static partial Regex Region();

    [GeneratedRegex(@"^[a-z0-9.-]+\.[a-z]{2,}$", RegexOptions.IgnoreCase)]
    private static partial Regex Domain();

    [GeneratedRegex(@"^[a-z0-9]{3,24}$")]
    private static partial Regex AccountName();

    [GeneratedRegex(@"^//iam\.googleapis\.com/projects/[0-9]+/locations/global/workloadIdentityPools/[a-z0-9-]+/providers/[a-z0-9-]+$")]
    private static partial Regex PoolAudience();

    [GeneratedRegex(@"^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$")]
    private static partial Regex ServiceAccount();
}
