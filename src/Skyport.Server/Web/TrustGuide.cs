using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Identity;
using Skyport.Server.Users;

namespace Skyport.Server.Web;

/// <summary>
/// What a cloud must trust for keyless access by one of the caller's logins: the id token's issuer (the provider's
/// authority), audience (the client id Skyport uses there) and subject (the caller's identity at the provider),
/// written out as the exact settings to paste into AWS, Azure or Google Cloud.
/// </summary>
public sealed class TrustGuide(SkyportDbContext db, CurrentUser current, Galaxy.IdEncoder ids, IOptions<OidcOptions> oidc)
{
    public sealed record Login(string Id, string Provider, string? Email, string Issuer, string Audience, string Subject)
    {
        /// <summary>AWS names an OIDC provider by its issuer without the scheme.</summary>
        public string AwsProviderName => Issuer.Replace("https://", "", StringComparison.Ordinal).Replace("http://", "", StringComparison.Ordinal).TrimEnd('/');

        public string AwsTrustPolicy(string? roleArn)
        {
            var account = roleArn?.Split(':') is { Length: > 4 } parts && parts[4].Length > 0 ? parts[4] : "ACCOUNT_ID";
            var policy = new
            {
                Version = "2012-10-17",
                Statement = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["Effect"] = "Allow",
                        ["Principal"] = new { Federated = $"arn:aws:iam::{account}:oidc-provider/{AwsProviderName}" },
                        ["Action"] = "sts:AssumeRoleWithWebIdentity",
                        ["Condition"] = new
                        {
                            StringEquals = new Dictionary<string, string>
                            {
                                [$"{AwsProviderName}:aud"] = Audience,
                                [$"{AwsProviderName}:sub"] = Subject,
                            },
                        },
                    },
                },
            };
            return JsonSerializer.Serialize(policy, new JsonSerializerOptions { WriteIndented = true });
        }

        public string GcpPrincipal(string? audience)
        {
            // //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X -> the pool's subject principal
            var pool = audience is { Length: > 0 } && audience.IndexOf("/providers/", StringComparison.Ordinal) is > 0 and var at
                ? audience[..at].Replace("//iam.googleapis.com/", "", StringComparison.Ordinal)
                : "projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL_ID";
            return $"principal://iam.googleapis.com/{pool}/subject/{Subject}";
        }
    }

    public async Task<IReadOnlyList<Login>> LoginsAsync(CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var providers = oidc.Value.Effective();
        var rows = await db.UserIdentities.AsNoTracking().Where(i => i.UserId == userId).OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Provider, i.Email, i.Subject }).ToListAsync(cancellationToken);
        return rows.Select(i => providers.TryGetValue(i.Provider, out var p)
                ? new Login(ids.Encode(i.Id), i.Provider, i.Email, p.Authority!.TrimEnd('/'), p.ClientId!, i.Subject)
                : null)
            .OfType<Login>().ToList();
    }
}
