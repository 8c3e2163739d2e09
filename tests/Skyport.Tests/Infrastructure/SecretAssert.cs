using System.Text.RegularExpressions;

namespace Skyport.Tests.Infrastructure;

public static partial class SecretAssert
{
    /// <summary>
    /// No JSON Web Token (id, access or refresh token of a provider) in <paramref name="text"/>: three
    /// base64url segments joined by dots, the first two starting with <c>eyJ</c> (<c>{"</c>). Encrypted
    /// blobs are base64 without dots, so they never match by chance.
    /// </summary>
    public static void NoJwt(string text, string where)
    {
        var match = Jwt().Match(text);
        Assert.False(match.Success, $"A token was found in {where}: {(match.Success ? match.Value[..Math.Min(40, match.Value.Length)] : "")}...");
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")]
    private static partial Regex Jwt();
}
