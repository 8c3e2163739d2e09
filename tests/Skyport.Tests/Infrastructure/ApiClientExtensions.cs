using System.Net.Http.Json;
using System.Text.Json;

namespace Skyport.Tests.Infrastructure;

/// <summary>Small, common steps of tests: create a history, paste a dataset and wait for it.</summary>
public static class ApiClientExtensions
{
    public static async Task<string> CreateHistoryAsync(this HttpClient client, string name = "test history")
    {
        var history = await GalaxyAssert.OkJsonAsync(await client.PostAsJsonAsync("/api/histories", new { name }));
        return history.GetProperty("id").GetString()!;
    }

    /// <summary>Pastes <paramref name="content"/> through /api/tools/fetch; returns the new dataset's id.</summary>
    public static async Task<string> PasteAsync(this HttpClient client, string historyId, string content, string ext = "auto", string? name = null)
    {
        var response = await client.PostAsJsonAsync("/api/tools/fetch", new
        {
            history_id = historyId,
            targets = new[] { new { destination = new { type = "hdas" }, elements = new[] { new { src = "pasted", paste_content = content, ext, name } } } },
        });
        var body = await GalaxyAssert.OkJsonAsync(response);
        return body.GetProperty("outputs")[0].GetProperty("id").GetString()!;
    }

    /// <summary>Polls the dataset until it leaves the queued/running states (bounded: 30 s).</summary>
    public static async Task<JsonElement> WaitForDatasetAsync(this HttpClient client, string datasetId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
            var state = dataset.GetProperty("state").GetString();
            if (state is not ("new" or "queued" or "running") || DateTime.UtcNow > deadline)
            {
                return dataset;
            }
            await Task.Delay(50);
        }
    }

    public static async Task<JsonElement> WaitForJobAsync(this HttpClient client, string jobId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var job = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
            var state = job.GetProperty("state").GetString();
            if (state is not ("new" or "queued" or "running") || DateTime.UtcNow > deadline)
            {
                return job;
            }
            await Task.Delay(50);
        }
    }
}
