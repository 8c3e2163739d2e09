using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Skyport.Server.Identity;

/// <summary>The tokens of one OIDC login. Only ever stored encrypted and never returned or logged.</summary>
public sealed record TokenSet(string IdToken, string? AccessToken, string? RefreshToken)
{
    public override string ToString() => "TokenSet { (redacted) }";
}

/// <summary>Encrypts token sets for the database with Data Protection (authenticated encryption, keys in the data folder).</summary>
public sealed class TokenProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Skyport.Identity.Tokens.v1");

    public string Protect(TokenSet tokens) => _protector.Protect(JsonSerializer.Serialize(tokens));

    public TokenSet Unprotect(string protectedTokens) =>
        JsonSerializer.Deserialize<TokenSet>(_protector.Unprotect(protectedTokens))
        ?? throw new InvalidOperationException("Stored tokens are empty.");
}
