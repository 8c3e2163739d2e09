using Microsoft.IdentityModel.JsonWebTokens;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>The non-secret claims of an id token that explain a trust-policy mismatch: issuer, audience, subject.</summary>
internal sealed record IdTokenClaims(string Issuer, string Audience, string Subject)
{
    public static IdTokenClaims Read(string idToken)
    {
        try
        {
            var jwt = new JsonWebToken(idToken);
            return new IdTokenClaims(jwt.Issuer, string.Join(",", jwt.Audiences), jwt.Subject);
        }
        catch (ArgumentException)
        {
            return new IdTokenClaims("?", "?", "?");
        }
    }
}
