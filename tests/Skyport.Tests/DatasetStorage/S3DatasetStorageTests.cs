using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;
using Skyport.Tests.Uploads;

namespace Skyport.Tests.DatasetStorage;

/// <summary>
/// Datasets kept in an S3 bucket: an upload becomes ok only once its object is in the bucket and verified; display
/// (with ranges) and downloads read from the bucket; purging removes the object. Nothing lands in the local files folder.
/// </summary>
[Collection(S3DatasetStoreCollection.Name)]
public sealed class S3DatasetStorageTests(S3DatasetStoreFixture fixture)
{
    private const int MiB = 1 << 20;

    private HttpClient User => fixture.User;
    private TestCloud Cloud => fixture.Cloud;

    private async Task<(string History, string Id, JsonElement Dataset)> UploadAsync(byte[] content, string name = "data.bin")
    {
        var history = await User.CreateHistoryAsync();
        var session = await User.UploadTusAsync(content, 4 * MiB, name);
        var (id, _) = Assert.Single(await User.FetchAsync(UploadRequests.FetchFromSession(history, session, name, ext: "data")));
        return (history, id, await User.WaitForOkDatasetAsync(id));
    }

    private async Task<(string History, string Id, string Uuid)> PastedAsync(string content, string name = "notes.txt")
    {
        var history = await User.CreateHistoryAsync();
        var id = await User.PasteAsync(history, content, name: name);
        var dataset = await User.WaitForOkDatasetAsync(id);
        return (history, id, dataset.GetProperty("uuid").GetString()!);
    }

    /// <summary>No staged file stays behind (the server is shared, so a job of an earlier test may still be finishing: wait for it).</summary>
    private async Task AssertStagingEmptiesAsync()
    {
        var tmp = Path.Combine(fixture.Server.DataDir, "tmp");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Directory.GetFiles(tmp).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Empty(Directory.GetFiles(tmp));
    }

    private static string Uuid(JsonElement dataset) => dataset.GetProperty("uuid").GetString()!;

    private async Task<HttpResponseMessage> RangeAsync(string id, long? from, long? to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/datasets/{id}/display");
        request.Headers.Range = new RangeHeaderValue(from, to);
        return await User.SendAsync(request);
    }

    [Fact]
    public async Task Upload_BecomesOk_OnlyWithItsVerifiedObjectInTheBucket_AndNoLocalCopy()
    {
        var content = UploadRequests.RandomBytes(MiB + 17, seed: 1);

        var (_, _, dataset) = await UploadAsync(content);

        Assert.Equal(content.Length, dataset.GetProperty("file_size").GetInt64());
        var head = await fixture.HeadStoredAsync(Uuid(dataset));
        Assert.NotNull(head);
        Assert.Equal(content.Length, head.ContentLength);
        Assert.Equal(UploadRequests.Sha256Hex(content), head.Metadata["skyport-sha256"]);
        Assert.Equal(UploadRequests.Sha256Hex(content), UploadRequests.Hash(dataset, "SHA-256"));
        Assert.Equal($"\"{UploadRequests.Md5Hex(content)}\"", head.ETag);
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.Server.DataDir, "files"), "*", SearchOption.AllDirectories));
        await AssertStagingEmptiesAsync();
    }

    [Fact]
    public async Task LargeUpload_IsCommittedAsVerifiedMultipartUpload_AndDownloadsExactly()
    {
        var content = UploadRequests.RandomBytes(12 * MiB + 5, seed: 2);

        var (_, id, dataset) = await UploadAsync(content, "big.bin");

        var key = S3DatasetStoreFixture.ObjectKey(Uuid(dataset));
        var requests = await Cloud.S3RequestsAsync(fixture.DatasetBucket, key);
        Assert.Single(requests, r => r.Operation == "CreateMultipartUpload" && r.Succeeded);
        Assert.Equal([1, 2, 3], requests.Where(r => r.Operation == "UploadPart" && r.Succeeded).Select(r => r.PartNumber!.Value).Order().ToArray());
        Assert.Single(requests, r => r.Operation == "CompleteMultipartUpload" && r.Succeeded);
        Assert.Equal(UploadRequests.Sha256Hex(content), (await fixture.HeadStoredAsync(Uuid(dataset)))!.Metadata["skyport-sha256"]);
        Assert.Equal(content, await User.DownloadAsync(id));

        // A range across the boundary of the first two parts.
        var response = await RangeAsync(id, 5 * MiB - 10, 5 * MiB + 9);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(content[(5 * MiB - 10)..(5 * MiB + 10)], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_ReturnsExactBytes_FromTheBucket()
    {
        const string text = "line one\nline two\nline three\n";
        var (_, id, uuid) = await PastedAsync(text);
        await Cloud.ClearS3RequestsAsync();

        var response = await User.GetAsync($"/api/datasets/{id}/display");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(text, await response.Content.ReadAsStringAsync());
        Assert.Equal(text.Length, response.Content.Headers.ContentLength);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Contains(await Cloud.S3RequestsAsync(fixture.DatasetBucket, S3DatasetStoreFixture.ObjectKey(uuid)), r => r.Operation == "GetObject" && r.Succeeded);
    }

    [Fact]
    public async Task Display_WithRange_FetchesOnlyThatSliceFromTheBucket()
    {
        var content = UploadRequests.RandomBytes(3 * MiB, seed: 3);
        var (_, id, dataset) = await UploadAsync(content);
        await Cloud.ClearS3RequestsAsync();

        var response = await RangeAsync(id, 1000, 1999);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(content[1000..2000], await response.Content.ReadAsByteArrayAsync());
        var range = response.Content.Headers.ContentRange!;
        Assert.Equal((1000L, 1999L, (long)content.Length), (range.From!.Value, range.To!.Value, range.Length!.Value));
        var get = Assert.Single(await Cloud.S3RequestsAsync(fixture.DatasetBucket, S3DatasetStoreFixture.ObjectKey(Uuid(dataset))), r => r.Operation == "GetObject");
        Assert.Equal("bytes=1000-1999", get.Range);
    }

    [Fact]
    public async Task Display_WithSuffixAndOpenRanges_ReturnTheRightSlices()
    {
        var content = UploadRequests.RandomBytes(100_000, seed: 4);
        var (_, id, _) = await UploadAsync(content);

        var tail = await RangeAsync(id, null, 600);
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(content[^600..], await tail.Content.ReadAsByteArrayAsync());

        var rest = await RangeAsync(id, 99_000, null);
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(content[99_000..], await rest.Content.ReadAsByteArrayAsync());

        var beyondEnd = await RangeAsync(id, 99_990, 200_000);
        Assert.Equal(HttpStatusCode.PartialContent, beyondEnd.StatusCode);
        Assert.Equal(content[99_990..], await beyondEnd.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_WithUnsatisfiableRange_Returns416WithTheLength()
    {
        var (_, id, _) = await PastedAsync("short\n");

        var response = await RangeAsync(id, 100, 200);

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, 416001);
        Assert.Equal(6, response.Content.Headers.ContentRange?.Length);
    }

    [Fact]
    public async Task Display_WithToExt_IsANamedDownload_ThroughTheHistoryRouteToo()
    {
        const string text = "chr1\t1\t100\n";
        var (history, id, _) = await PastedAsync(text, "peaks.bed");

        var response = await User.GetAsync($"/api/histories/{history}/contents/{id}/display?to_ext=bed");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.EndsWith(".bed", (disposition.FileNameStar ?? disposition.FileName)!.Trim('"'));
        Assert.Equal(text, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Delete_KeepsTheObject_Purge_RemovesIt_AndDisplayRefuses()
    {
        var (_, id, uuid) = await PastedAsync("to be purged\n");

        await GalaxyAssert.OkJsonAsync(await User.DeleteAsync($"/api/datasets/{id}"));
        Assert.NotNull(await fixture.HeadStoredAsync(uuid));

        var purged = await GalaxyAssert.OkJsonAsync(await User.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/datasets/{id}")
        {
            Content = JsonContent.Create(new { purge = true }),
        }));

        Assert.True(purged.GetProperty("purged").GetBoolean());
        Assert.Null(await fixture.HeadStoredAsync(uuid));
        await GalaxyAssert.ErrorAsync(await User.GetAsync($"/api/datasets/{id}/display"), HttpStatusCode.BadRequest, 0);
    }

    [Fact]
    public async Task PurgingAHistory_RemovesEveryObjectOfIt()
    {
        var history = await User.CreateHistoryAsync();
        var ids = new[] { await User.PasteAsync(history, "one\n"), await User.PasteAsync(history, "two\n") };
        var uuids = new List<string>();
        foreach (var id in ids)
        {
            var uuid = Uuid(await User.WaitForOkDatasetAsync(id));
            Assert.NotNull(await fixture.HeadStoredAsync(uuid));
            uuids.Add(uuid);
        }

        await GalaxyAssert.OkJsonAsync(await User.DeleteAsync($"/api/histories/{history}?purge=true"));

        foreach (var uuid in uuids)
        {
            Assert.Null(await fixture.HeadStoredAsync(uuid));
        }
    }

    [Fact]
    public async Task CloudGet_ThenSend_RoundTripsThroughTheStore_LeavingNoStagedCopies()
    {
        var bucket = await fixture.NewBucketAsync();
        var content = UploadRequests.RandomBytes(11 * MiB + 3, seed: 5);
        await fixture.PutAsync(bucket, "in/reads.bin", content);
        var history = await User.CreateHistoryAsync();

        var got = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "in/reads.bin" }, input_args = new { file_type = "data" } }));
        var id = got[0].GetProperty("id").GetString()!;
        var dataset = await User.WaitForOkDatasetAsync(id);
        Assert.Equal(UploadRequests.Sha256Hex(content), (await fixture.HeadStoredAsync(Uuid(dataset)))!.Metadata["skyport-sha256"]);

        var sent = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/send",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { id }, key_prefix = "out/" }));
        var label = JsonDocument.Parse(sent.GetProperty("sent_dataset_labels")[0].GetString()!).RootElement;
        var job = await User.WaitForJobAsync(label.GetProperty("job_id").GetString()!, TimeSpan.FromSeconds(60));
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());

        Assert.Equal(content, await fixture.ReadAsync(bucket, label.GetProperty("object").GetString()!));
        await AssertStagingEmptiesAsync();
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.Server.DataDir, "files"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task TheSitesSecretKey_NeverAppearsInLogs()
    {
        await PastedAsync("anything\n");

        Assert.DoesNotContain(fixture.Key.SecretAccessKey, fixture.Logs.All);
    }
}
