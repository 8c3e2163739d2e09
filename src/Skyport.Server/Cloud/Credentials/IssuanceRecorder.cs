using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// Writes issuance records. Credentials renew themselves long after the request that created them, so
/// every record is written in a scope of its own; a failure to record never breaks a transfer.
/// </summary>
public sealed class IssuanceRecorder(IServiceScopeFactory scopes, TimeProvider clock, ILogger<IssuanceRecorder> logger, Operations.Metrics.SkyportMetrics metrics)
{
    public async Task RecordAsync(CredentialContext context, string provider, DateTime? expiresAt, string? error)
    {
        metrics.CredentialsIssued(provider, error is null);
        using var span = Operations.Telemetry.SkyportTelemetry.StartIssuance(provider, error is null);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
            var now = clock.GetUtcNow().UtcDateTime;
            var purpose = CredentialPurpose.Current ?? context.Purpose;
            db.CredentialIssuances.Add(new CredentialIssuance
            {
                UserId = context.UserId,
                AuthzId = context.AuthzId,
                Provider = provider,
                Purpose = purpose.Length <= 255 ? purpose : purpose[..255],
                IssuedAt = now,
                ExpiresAt = expiresAt,
                Succeeded = error is null,
                Error = error is { Length: > 2048 } ? error[..2048] : error,
            });
            await db.SaveChangesAsync();
            await db.CloudAuthzs.Where(a => a.Id == context.AuthzId).ExecuteUpdateAsync(s => s.SetProperty(a => a.LastActivity, now));
            logger.LogInformation("Issued {Provider} credentials for authorization {AuthzId} ({Purpose}), expiring {ExpiresAt}{Outcome}",
                provider, context.AuthzId, purpose, expiresAt, error is null ? "" : ": failed");
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not record a credential issuance for authorization {AuthzId}", context.AuthzId);
        }
    }
}
