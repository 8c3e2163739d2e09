using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Skyport.Server.Data;

namespace Skyport.Server.Operations.Health;

/// <summary>Unhealthy while the database lacks a migration this build expects (an upgrade that did not finish).</summary>
internal sealed class MigrationsHealthCheck(SkyportDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
        return pending == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"{pending} migration(s) not applied.");
    }
}
