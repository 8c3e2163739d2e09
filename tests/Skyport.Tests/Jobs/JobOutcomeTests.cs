using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Jobs;
using Skyport.Server.Uploads;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Jobs;

/// <summary>
/// An import's output becomes ok with its job, in one transaction, after the handler returns: a cancel that lands once the
/// bytes are stored but before the outcome is recorded wins, and leaves neither an ok dataset nor its bytes.
/// </summary>
public sealed class JobOutcomeTests
{
    [Fact]
    public async Task CancelAfterTheBytesAreStored_BeforeTheOutcome_LeavesTheDatasetDiscarded_AndRemovesTheBytes()
    {
        var stored = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await SkyportServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton(stored);
            // Registered after the server's own: the keyed lookup takes the last one for the fetch tool.
            builder.Services.AddKeyedScoped<IJobHandler, CancelledAfterImport>(ToolsService.FetchToolId);
        });
        using var client = await server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var datasetId = await client.PasteAsync(historyId, "stored, then cancelled\n");

        var path = await stored.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (File.Exists(path) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.False(File.Exists(path), "The bytes of the cancelled import were left in the store.");
        var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.Equal("discarded", dataset.GetProperty("state").GetString());
    }

    /// <summary>The real upload handler, then a user's cancel of the job (as from the API) before the handler returns.</summary>
    private sealed class CancelledAfterImport(IServiceProvider services, JobCancellation cancellation, IDatasetStore store,
        TaskCompletionSource<string> stored) : IJobHandler
    {
        public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            try
            {
                await ActivatorUtilities.CreateInstance<UploadJobHandler>(services).RunAsync(context, cancellationToken);
                var path = store.LocalPath(context.Output.Uuid)!;
                Assert.True(File.Exists(path), "The import did not store the bytes before returning.");
                Assert.True(await cancellation.CancelAsync(context.Job.Id, CancellationToken.None), "The running job could not be cancelled.");
                stored.TrySetResult(path);
            }
            catch (Exception e)
            {
                stored.TrySetException(e);
                throw;
            }
        }
    }
}
