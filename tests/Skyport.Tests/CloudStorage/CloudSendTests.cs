using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>Send, written once and run against every provider (see the classes at the end).</summary>
public abstract class CloudSendTests<TFixture>(TFixture fixture) where TFixture : class, IStorageFixture
{
    private HttpClient User => fixture.User;

    private async Task<JsonElement> SendAsync(object body) => await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/send", body));

    private static List<JsonElement> Labels(JsonElement response, string name) =>
        response.GetProperty(name).EnumerateArray().Select(label => JsonDocument.Parse(label.GetString()!).RootElement.Clone()).ToList();

    private async Task<string> PastedOkAsync(string history, string content, string name)
    {
        var id = await User.PasteAsync(history, content, name: name);
        Assert.Equal("ok", (await User.WaitForDatasetAsync(id)).GetProperty("state").GetString());
        return id;
    }

    private async Task<JsonElement> FinishedJobAsync(string jobId)
    {
        var job = await User.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        return job;
    }

    [Fact]
    public async Task Send_WholeHistory_AnswersSeedShape_AndObjectsMatchByteForByte()
    {
        var bucket = await fixture.NewBucketAsync();
        var history = await User.CreateHistoryAsync();
        await PastedOkAsync(history, "chr1\t1\t2\n", "rep1.bed");
        await PastedOkAsync(history, "chr1\t3\t4\n", "rep 2.bed");
        var countBefore = (await User.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents")).GetArrayLength();

        var response = await SendAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket });

        Assert.Equal(bucket, response.GetProperty("bucket_name").GetString());
        Assert.Empty(response.GetProperty("failed_dataset_labels").EnumerateArray());
        Assert.All(response.GetProperty("sent_dataset_labels").EnumerateArray(), l => Assert.Equal(JsonValueKind.String, l.ValueKind));
        var sent = Labels(response, "sent_dataset_labels");
        Assert.Equal(["rep1.bed", "rep_2.bed"], sent.Select(l => l.GetProperty("object").GetString()!).ToArray());
        foreach (var label in sent)
        {
            var job = await FinishedJobAsync(label.GetProperty("job_id").GetString()!);
            Assert.Contains(label.GetProperty("object").GetString()!, job.GetProperty("info").GetString());
        }
        Assert.Equal("chr1\t1\t2\n", Encoding.UTF8.GetString(await fixture.ReadAsync(bucket, "rep1.bed")));
        Assert.Equal("chr1\t3\t4\n", Encoding.UTF8.GetString(await fixture.ReadAsync(bucket, "rep_2.bed")));
        var metadata = await fixture.MetadataAsync(bucket, "rep1.bed");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("chr1\t1\t2\n"))), metadata[fixture.Sha256MetadataKey]);
        Assert.Equal(countBefore, (await User.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents")).GetArrayLength());
    }

    [Fact]
    public async Task Send_LargeDataset_InParallelParts_RoundTripsExactly()
    {
        var bucket = await fixture.NewBucketAsync();
        var big = RandomNumberGenerator.GetBytes(11 * 1024 * 1024 + 7);
        await fixture.PutAsync(bucket, "source.bin", big);
        var history = await User.CreateHistoryAsync();
        var got = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "source.bin" } }));
        var datasetId = got[0].GetProperty("id").GetString()!;
        Assert.Equal("ok", (await User.WaitForDatasetAsync(datasetId, TimeSpan.FromSeconds(60))).GetProperty("state").GetString());

        var response = await SendAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { datasetId }, key_prefix = "copies/" });

        var label = Assert.Single(Labels(response, "sent_dataset_labels"));
        Assert.Equal("copies/source.bin", label.GetProperty("object").GetString());
        await FinishedJobAsync(label.GetProperty("job_id").GetString()!);
        Assert.Equal(big, await fixture.ReadAsync(bucket, "copies/source.bin"));
    }

    [Fact]
    public async Task Send_ToExistingKey_RenamesByDefault_OverwritesOrSkipsWhenAsked()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "result.txt", Encoding.UTF8.GetBytes("original\n"));
        var history = await User.CreateHistoryAsync();
        var dataset = await PastedOkAsync(history, "new results\n", "result.txt");

        var renamed = Labels(await SendAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { dataset } }), "sent_dataset_labels");
        var renameJob = await FinishedJobAsync(renamed[0].GetProperty("job_id").GetString()!);
        Assert.Equal("original\n", Encoding.UTF8.GetString(await fixture.ReadAsync(bucket, "result.txt")));
        var keys = await fixture.KeysAsync(bucket);
        var newKey = Assert.Single(keys, k => k != "result.txt");
        Assert.Matches(@"^result\.txt_\d{6}_\d{6}$", newKey);
        Assert.Contains(newKey, renameJob.GetProperty("info").GetString());
        Assert.Equal("new results\n", Encoding.UTF8.GetString(await fixture.ReadAsync(bucket, newKey)));

        var skipped = Labels(await SendAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { dataset }, on_conflict = "skip" }), "sent_dataset_labels");
        var skipJob = await FinishedJobAsync(skipped[0].GetProperty("job_id").GetString()!);
        Assert.Contains("Skipped", skipJob.GetProperty("info").GetString());
        Assert.Equal(2, (await fixture.KeysAsync(bucket)).Count);

        var overwritten = Labels(await SendAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { dataset }, overwrite_existing = "true" }), "sent_dataset_labels");
        await FinishedJobAsync(overwritten[0].GetProperty("job_id").GetString()!);
        Assert.Equal("new results\n", Encoding.UTF8.GetString(await fixture.ReadAsync(bucket, "result.txt")));
        Assert.Equal(2, (await fixture.KeysAsync(bucket)).Count);
    }

    [Fact]
    public async Task Send_SkipsDeletedAndUnfinished_AndReportsForeignIdsAsFailedLabels()
    {
        var bucket = await fixture.NewBucketAsync();
        var history = await User.CreateHistoryAsync();
        var other = await User.CreateHistoryAsync();
        var kept = await PastedOkAsync(history, "keep\n", "keep.txt");
        var deleted = await PastedOkAsync(history, "gone\n", "gone.txt");
        await GalaxyAssert.OkJsonAsync(await User.DeleteAsync($"/api/datasets/{deleted}"));
        var elsewhere = await PastedOkAsync(other, "elsewhere\n", "elsewhere.txt");

        var response = await SendAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { kept, deleted, elsewhere, "not-an-id" } });

        var sent = Labels(response, "sent_dataset_labels");
        Assert.Equal("keep.txt", Assert.Single(sent).GetProperty("object").GetString());
        var failed = Labels(response, "failed_dataset_labels");
        Assert.Equal([elsewhere, "not-an-id"], failed.Select(f => f.GetProperty("object").GetString()!).ToArray());
        Assert.All(failed, f => Assert.False(string.IsNullOrEmpty(f.GetProperty("error").GetString())));
    }

    [Theory]
    [InlineData("""{"authz_id": "0123456789abcdef", "bucket": "bucket"}""", 400007, "history_id")]
    [InlineData("""{"history_id": "0123456789abcdef", "authz_id": "0123456789abcdef", "bucket": "bucket", "on_conflict": "merge"}""", 400008, "on_conflict")]
    [InlineData("""{"history_id": "0123456789abcdef", "authz_id": "0123456789abcdef", "bucket": "bucket", "dataset_ids": "x"}""", 400008, "dataset_ids")]
    [InlineData("""{"history_id": "x", "authz_id": "0123456789abcdef", "bucket": "bucket"}""", 400009, "history_id")]
    public async Task Send_WithBadPayload_AnswersGalaxyError(string body, int errCode, string mentioned)
    {
        var response = await User.PostAsync("/api/cloud/storage/send", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Contains(mentioned, await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, errCode));
    }

    [Fact]
    public async Task Send_FromAnotherUsersHistory_Returns403()
    {
        using var other = await fixture.Server.NewUserAsync();
        var theirs = await other.CreateHistoryAsync();

        await GalaxyAssert.ErrorAsync(await User.PostAsJsonAsync("/api/cloud/storage/send", new { history_id = theirs, authz_id = fixture.AuthzId, bucket = "anything" }),
            HttpStatusCode.Forbidden, 403002);
    }
}

public sealed class S3SendTests(S3Fixture fixture) : CloudSendTests<S3Fixture>(fixture), IClassFixture<S3Fixture>;

public sealed class AzureSendTests(AzureFixture fixture) : CloudSendTests<AzureFixture>(fixture), IClassFixture<AzureFixture>;

public sealed class GcsSendTests(GcsFixture fixture) : CloudSendTests<GcsFixture>(fixture), IClassFixture<GcsFixture>;
