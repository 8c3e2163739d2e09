using Microsoft.Extensions.Diagnostics.HealthChecks;
using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Health;

/// <summary>
/// Writes, flushes and removes a small file in the data folder's temporary directory, which lives on the
/// same filesystem as dataset files (a full disk or a read-only mount fails here before it fails a job).
/// </summary>
internal sealed class DataFolderHealthCheck(DataDirectory data) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(data.Temp, $"readyz-{Guid.NewGuid():N}.probe");
        try
        {
            await using (var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await file.WriteAsync("ok"u8.ToArray(), cancellationToken);
                file.Flush(flushToDisk: true);
            }
            return Directory.Exists(data.Files) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The dataset folder is missing.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy("The data folder is not writable.", e);
        }
        finally
        {
            try
            {
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing was written, or the sweeper removes it later.
            }
        }
    }
}
