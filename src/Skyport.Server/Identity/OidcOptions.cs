using Skyport.Server.Configuration;

namespace Skyport.Server.Identity;

/// <summary><c>Skyport:Oidc</c>: the OpenID Connect providers users can log in with.</summary>
public sealed class OidcOptions : IValidatedOptions
{
    public const string Section = "Skyport:Oidc";

    public Dictionary<string, OidcProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<string> Validate(string section)
    {
        foreach (var (name, provider) in Providers)
        {
            foreach (var error in provider.Validate($"{section}:Providers:{name}", name))
            {
                yield return error;
            }
        }
    }

    /// <summary>Each provider with its preset applied, keyed by its (lower-case) name.</summary>
    public IReadOnlyDictionary<string, OidcProviderOptions> Effective() =>
        Providers.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value.WithPreset(p.Key));
}

public sealed class OidcProviderOptions
{
    /// <summary><c>google</c> fills in Google's authority and asks for offline access; empty for any other provider.</summary>
    public string? Preset { get; set; }

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? DisplayName { get; set; }

    /// <summary>Default: <c>openid email profile</c>, plus <c>offline_access</c> (refresh tokens) except for Google, which refuses that scope.</summary>
    public List<string>? Scopes { get; set; }

    /// <summary>Extra parameters of the authorization request (Google: <c>access_type=offline</c>, <c>prompt=consent</c>).</summary>
    public Dictionary<string, string> AuthorizeParameters { get; set; } = [];

    /// <summary>Only for providers on loopback during development and tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    internal OidcProviderOptions WithPreset(string name)
    {
        var google = string.Equals(Preset ?? name, "google", StringComparison.OrdinalIgnoreCase);
        var parameters = new Dictionary<string, string>(AuthorizeParameters);
        if (google)
        {
            parameters.TryAdd("access_type", "offline");
            parameters.TryAdd("prompt", "consent");
        }
        return new OidcProviderOptions
        {
            Preset = Preset,
            Authority = Authority ?? (google ? "https://accounts.google.com" : null),
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            DisplayName = DisplayName ?? (google ? "Google" : name),
            Scopes = Scopes ?? (google ? ["openid", "email", "profile"] : ["openid", "email", "profile", "offline_access"]),
            AuthorizeParameters = parameters,
            RequireHttpsMetadata = RequireHttpsMetadata,
        };
    }

    internal IEnumerable<string> Validate(string key, string name)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9_-]{1,32}$"))
        {
            yield return $"{key}: provider names use letters, digits, '-' and '_' (at most 32).";
        }
        if (Preset is not null && !string.Equals(Preset, "google", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{key}:Preset must be 'google' or empty (got '{Preset}').";
        }
        var effective = WithPreset(name);
        if (!Uri.TryCreate(effective.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            yield return $"{key}:Authority must be an absolute URL (the issuer, e.g. https://accounts.google.com).";
        }
        else if (authority.Scheme == "http" && RequireHttpsMetadata)
        {
            yield return $"{key}:Authority must use https (set {key}:RequireHttpsMetadata=false only for a local test provider).";
        }
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            yield return $"{key}:ClientId is required.";
        }
    }
}
