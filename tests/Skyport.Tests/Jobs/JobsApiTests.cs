using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Skyport.Tests.Infrastructure;
using Skyport.Tests.Uploads;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Jobs;

public class JobsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    private static object Pasted(string content) => new { src = "pasted", paste_content = content, ext = "txt" };

    [Fact]
    public async Task Show_FinishedUploadJob_ReturnsGalaxyFieldsAndProgress()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var content = "alpha\nbeta\ngamma\n";
        var (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, Pasted(content))));
        await client.WaitForOkDatasetAsync(datasetId);

        var job = await client.WaitForJobAsync(jobId);

        Assert.Equal(jobId, job.GetProperty("id").GetString());
        Assert.Matches("^[0-9a-f]{16}$", jobId);
        Assert.Equal("ok", job.GetProperty("state").GetString());
        Assert.Equal("__DATA_FETCH__", job.GetProperty("tool_id").GetString());
        Assert.Equal(historyId, job.GetProperty("history_id").GetString());
        Assert.Equal("Job", job.GetProperty("model_class").GetString());
        var created = ParseTime(job, "create_time");
        var updated = ParseTime(job, "update_time");
        Assert.True(updated >= created, $"update_time before create_time: {job}");
        Assert.Equal(datasetId, job.GetProperty("outputs").GetProperty("output0").GetProperty("id").GetString());
        Assert.Equal("hda", job.GetProperty("outputs").GetProperty("output0").GetProperty("src").GetString());
        var progress = job.GetProperty("progress");
        Assert.Equal(content.Length, progress.GetProperty("bytes_done").GetInt64());
        Assert.Equal(content.Length, progress.GetProperty("bytes_total").GetInt64());
        Assert.Equal(0, job.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task List_FilteredByHistoryAndState_ReturnsOnlyMatchingJobs()
    {
        await using var origin = await OriginServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var otherHistory = await client.CreateHistoryAsync();
        var okJobs = await client.FetchAsync(Fetch(historyId, Pasted("one\n"), Pasted("two\n")));
        var (failedDataset, failedJob) = Assert.Single(await client.FetchAsync(Fetch(historyId, new { src = "url", url = origin.Url("/gone.txt") })));
        var (elsewhere, elsewhereJob) = Assert.Single(await client.FetchAsync(Fetch(otherHistory, Pasted("three\n"))));
        foreach (var (_, jobId) in okJobs.Append((failedDataset, failedJob)).Append((elsewhere, elsewhereJob)))
        {
            await client.WaitForJobAsync(jobId);
        }

        var ok = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/jobs?history_id={historyId}&state=ok"));
        var failed = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/jobs?history_id={historyId}&state=error"));
        var all = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/jobs?history_id={historyId}"));
        var both = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/jobs?history_id={historyId}&state=ok&state=error"));

        Assert.Equal(okJobs.Select(j => j.JobId).Order(), Ids(ok).Order());
        Assert.Equal([failedJob], Ids(failed));
        Assert.Equal(3, Ids(all).Count);
        Assert.Equal(3, Ids(both).Count);
        Assert.DoesNotContain(elsewhereJob, Ids(all));
        Assert.All(ok.EnumerateArray(), j => Assert.Equal("ok", j.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task List_WithUnknownState_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var message = await GalaxyAssert.ErrorAsync(await client.GetAsync("/api/jobs?state=finished"), HttpStatusCode.BadRequest, 400008);
        Assert.Contains("finished", message);
        await GalaxyAssert.ErrorAsync(await client.GetAsync("/api/jobs?state=3"), HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task List_NeverShowsOtherUsersJobs()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        var (_, jobId) = Assert.Single(await owner.FetchAsync(Fetch(historyId, Pasted("private\n"))));
        await owner.WaitForJobAsync(jobId);

        var list = await GalaxyAssert.OkJsonAsync(await other.GetAsync("/api/jobs"));

        Assert.DoesNotContain(jobId, Ids(list));
    }

    [Fact]
    public async Task Show_ForeignJob_Returns403_AndCancelIsRefused()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        var (_, jobId) = Assert.Single(await owner.FetchAsync(Fetch(historyId, Pasted("private\n"))));

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/jobs/{jobId}"), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.DeleteAsync($"/api/jobs/{jobId}"), HttpStatusCode.Forbidden, 403002);

        var job = await owner.WaitForJobAsync(jobId);
        Assert.Equal("ok", job.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Show_WithMalformedId_Returns400009()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync("/api/jobs/not-a-job"), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task Cancel_FinishedJob_ReturnsFalse_AndKeepsItOk()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, Pasted("done\n"))));
        await client.WaitForOkDatasetAsync(datasetId);
        await client.WaitForJobAsync(jobId);

        var cancelled = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/jobs/{jobId}"));

        Assert.False(cancelled.GetBoolean());
        Assert.Equal("ok", (await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}")).GetProperty("state").GetString());
        Assert.Equal("ok", (await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}")).GetProperty("state").GetString());
    }

    private static List<string> Ids(JsonElement list) => list.EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToList();

    private static DateTime ParseTime(JsonElement job, string name) =>
        DateTime.Parse(job.GetProperty(name).GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
