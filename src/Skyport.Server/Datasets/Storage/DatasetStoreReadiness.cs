using Skyport.Server.Cloud.Storage;

namespace Skyport.Server.Datasets.Storage;

/// <summary>
/// Checks at start that the dataset store can be read and written; the server does not start (and no worker claims
/// a job) when it cannot, with a message naming the store and the setting to fix.
/// </summary>
internal sealed class DatasetStoreReadiness(IDatasetStore store, ILogger<DatasetStoreReadiness> logger) : IHostedService
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await store.CheckAsync(timeout.Token);
        }
        catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message;
            // "configuration" makes ./skyport report it as a configuration error rather than a crash.
            throw new InvalidOperationException(
                $"Dataset storage is not usable with this configuration ({DatasetStorageOptions.Section}): {store.Description}: {reason}", e);
        }
        logger.LogInformation("Dataset storage: {Store}", store.Description);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
