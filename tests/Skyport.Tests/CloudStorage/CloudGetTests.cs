using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>Get and list, written once and run against every provider (see the classes at the end).</summary>
public abstract class CloudGetTests<TFixture>(TFixture fixture) where TFixture : class, IStorageFixture
{
    private HttpClient User => fixture.User;

    private async Task<JsonElement> GetAsync(object body) => await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/get", body));

    private async Task<byte[]> DisplayAsync(string datasetId) => await User.GetByteArrayAsync($"/api/datasets/{datasetId}/display");

    [Fact]
    public async Task Get_Objects_QueuesInRequestOrder_AndImportsExactBytes()
    {
        var bucket = await fixture.NewBucketAsync();
        var binary = RandomNumberGenerator.GetBytes(100_000);
        var text = Encoding.UTF8.GetBytes("chr1\t10\t20\nchr2\t30\t40\n");
        await fixture.PutAsync(bucket, "reads/sample.bin", binary);
        await fixture.PutAsync(bucket, "peaks.bed", text);
        var history = await User.CreateHistoryAsync();

        var queued = await GetAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "peaks.bed", "reads/sample.bin" } });

        var items = queued.EnumerateArray().ToList();
        Assert.Equal(["peaks.bed", "reads/sample.bin"], items.Select(i => i.GetProperty("name").GetString()!).ToArray());
        Assert.All(items, i => Assert.Equal("queued", i.GetProperty("state").GetString()));
        var bed = await User.WaitForDatasetAsync(items[0].GetProperty("id").GetString()!);
        var bin = await User.WaitForDatasetAsync(items[1].GetProperty("id").GetString()!);
        Assert.Equal("ok", bed.GetProperty("state").GetString());
        Assert.Equal("bed", bed.GetProperty("extension").GetString());
        Assert.Equal("ok", bin.GetProperty("state").GetString());
        Assert.Equal(text, await DisplayAsync(items[0].GetProperty("id").GetString()!));
        Assert.Equal(binary, await DisplayAsync(items[1].GetProperty("id").GetString()!));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(binary)),
            bin.GetProperty("hashes").EnumerateArray().Single(h => h.GetProperty("hash_function").GetString() == "SHA-256").GetProperty("hash_value").GetString());
        // The ids work everywhere else: in the history's contents and in send.
        var contents = await User.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents");
        Assert.Equal(2, contents.GetArrayLength());
    }

    [Fact]
    public async Task Get_LargeObject_InParallelParts_IsByteIdentical()
    {
        var bucket = await fixture.NewBucketAsync();
        var big = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 12345);
        await fixture.PutAsync(bucket, "big.dat", big);
        var history = await User.CreateHistoryAsync();

        var queued = await GetAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "big.dat" } });

        var id = queued[0].GetProperty("id").GetString()!;
        var dataset = await User.WaitForDatasetAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal(big.Length, dataset.GetProperty("file_size").GetInt64());
        Assert.Equal(big, await DisplayAsync(id));
    }

    [Fact]
    public async Task Get_ManySmallObjects_AllArrive()
    {
        var bucket = await fixture.NewBucketAsync();
        var keys = Enumerable.Range(0, 100).Select(i => $"small/{i:D3}.txt").ToArray();
        await Parallel.ForEachAsync(keys, async (key, _) => await fixture.PutAsync(bucket, key, Encoding.UTF8.GetBytes($"content of {key}\n")));
        var history = await User.CreateHistoryAsync();
        var issuedBefore = (await User.GetFromJsonAsync<JsonElement>($"/api/cloud/credentials/issuances?authz_id={fixture.AuthzId}&limit=1000")).GetArrayLength();

        var queued = await GetAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = keys });

        foreach (var item in queued.EnumerateArray())
        {
            var dataset = await User.WaitForDatasetAsync(item.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));
            Assert.Equal("ok", dataset.GetProperty("state").GetString());
            Assert.Equal($"content of {dataset.GetProperty("name").GetString()}\n", Encoding.UTF8.GetString(await DisplayAsync(item.GetProperty("id").GetString()!)));
        }
        // One authorization's credentials serve all its jobs: a hundred objects do not mean a hundred STS exchanges.
        var issuedAfter = (await User.GetFromJsonAsync<JsonElement>($"/api/cloud/credentials/issuances?authz_id={fixture.AuthzId}&limit=1000")).GetArrayLength();
        Assert.InRange(issuedAfter - issuedBefore, 0, 1);
    }

    [Fact]
    public async Task Get_KeysWithSpacesUnicodeDotsAndSlashes_KeepTheirNames_AndStayInsideTheDataFolder()
    {
        var bucket = await fixture.NewBucketAsync();
        var keys = fixture.OddKeys;
        foreach (var key in keys)
        {
            await fixture.PutAsync(bucket, key, Encoding.UTF8.GetBytes($"{key}\n"));
        }
        var history = await User.CreateHistoryAsync();
        var before = Directory.GetFiles(Path.GetDirectoryName(fixture.Server.DataDir)!, "*.txt");

        var queued = await GetAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = keys });

        foreach (var (item, key) in queued.EnumerateArray().Zip(keys))
        {
            var dataset = await User.WaitForDatasetAsync(item.GetProperty("id").GetString()!);
            Assert.Equal("ok", dataset.GetProperty("state").GetString());
            Assert.Equal(key, dataset.GetProperty("name").GetString());
            Assert.Equal($"{key}\n", Encoding.UTF8.GetString(await DisplayAsync(item.GetProperty("id").GetString()!)));
        }
        Assert.Equal(before, Directory.GetFiles(Path.GetDirectoryName(fixture.Server.DataDir)!, "*.txt"));
    }

    [Fact]
    public async Task Get_KeyWithLeadingSlash_ThatTheStoreCannotServe_IsACleanGalaxyError()
    {
        // The emulator cannot store a key starting with '/' (its router folds the "//" and then the signature
        // no longer matches), so this checks the request side only: the key is asked for as given and the
        // store's refusal comes back as Galaxy's error naming the key, never a server error.
        var bucket = await fixture.NewBucketAsync();
        var history = await User.CreateHistoryAsync();

        var response = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "/leading.txt" } });

        var status = response.StatusCode;
        Assert.True(status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"got {(int)status}");
        Assert.Contains("`/leading.txt`", await GalaxyAssert.ErrorAsync(response, status, status == HttpStatusCode.NotFound ? 404001 : 403002));
    }

    [Fact]
    public async Task Get_WithInputArgs_AppliesDbkeyTypeAndStringBooleans()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "spaces.txt", Encoding.UTF8.GetBytes("a  b   c\r\nd e f\r\n"));
        var history = await User.CreateHistoryAsync();

        var queued = await GetAsync(new
        {
            history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "spaces.txt" },
            input_args = new { dbkey = "hg38", file_type = "tabular", to_posix_lines = "True", space_to_tab = "true" },
        });

        var id = queued[0].GetProperty("id").GetString()!;
        var dataset = await User.WaitForDatasetAsync(id);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal("tabular", dataset.GetProperty("extension").GetString());
        Assert.Equal("hg38", dataset.GetProperty("genome_build").GetString());
        Assert.Equal("a\tb\tc\nd\te\tf\n", Encoding.UTF8.GetString(await DisplayAsync(id)));
    }

    [Fact]
    public async Task Get_Prefix_DryRunCountsWithoutQueueing_ThenImports()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "run1/a.txt", Encoding.UTF8.GetBytes("aaa\n"));
        await fixture.PutAsync(bucket, "run1/b.txt", Encoding.UTF8.GetBytes("bbbbbb\n"));
        await fixture.PutAsync(bucket, "run2/c.txt", Encoding.UTF8.GetBytes("c\n"));
        var history = await User.CreateHistoryAsync();

        var dry = await GetAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, prefix = "run1/", dry_run = true });
        Assert.Equal(2, dry.GetProperty("count").GetInt32());
        Assert.Equal(11, dry.GetProperty("bytes").GetInt64());
        Assert.Empty((await User.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents")).EnumerateArray());

        var queued = await GetAsync(new { history_id = history, authz_id = fixture.AuthzId, bucket, prefix = "run1/" });
        Assert.Equal(["run1/a.txt", "run1/b.txt"], queued.EnumerateArray().Select(i => i.GetProperty("name").GetString()!).Order().ToArray());

        var tooMany = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket, prefix = "run", max_objects = 2 });
        await GalaxyAssert.ErrorAsync(tooMany, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Get_WithAMissingObject_Returns404_AndQueuesNothing()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "here.txt", Encoding.UTF8.GetBytes("x\n"));
        var history = await User.CreateHistoryAsync();

        var response = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "here.txt", "gone.txt" } });

        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.NotFound, 404001);
        Assert.Contains("Could not get the object `gone.txt`", message);
        Assert.Empty((await User.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents")).EnumerateArray());
        Assert.Empty((await User.GetFromJsonAsync<JsonElement>($"/api/jobs?history_id={history}")).EnumerateArray());
    }

    [Theory]
    [InlineData("""{"authz_id": "0123456789abcdef", "bucket": "b", "objects": ["x"]}""", 400, 400007, "history_id")]
    [InlineData("""{}""", 400, 400007, "'history_id', 'authz_id', 'bucket', 'objects'")]
    [InlineData("""{"history_id": "zz", "authz_id": "0123456789abcdef", "bucket": "bucket", "objects": ["x"]}""", 400, 400009, "history_id")]
    [InlineData("""{"history_id": "0123456789abcdef", "authz_id": "0123456789abcdef", "bucket": "bucket", "objects": "x"}""", 400, 400008, "objects")]
    [InlineData("""{"history_id": "0123456789abcdef", "authz_id": "0123456789abcdef", "bucket": "bucket", "objects": [1]}""", 400, 400008, "objects[0]")]
    [InlineData("""{"history_id": "0123456789abcdef", "authz_id": "0123456789abcdef", "bucket": "bucket", "objects": ["x"], "input_args": {"file_type": "nope"}}""", 400, 400008, "nope")]
    [InlineData("""[1, 2]""", 400, 400008, "object")]
    public async Task Get_WithBadPayload_AnswersGalaxyError(string body, int status, int errCode, string mentioned)
    {
        var response = await User.PostAsync("/api/cloud/storage/get", new StringContent(body, Encoding.UTF8, "application/json"));

        var message = await GalaxyAssert.ErrorAsync(response, (HttpStatusCode)status, errCode);
        Assert.Contains(mentioned, message);
    }

    [Fact]
    public async Task Get_IntoAnotherUsersHistory_OrWithTheirAuthz_Returns403()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "x.txt", Encoding.UTF8.GetBytes("x\n"));
        using var other = await fixture.Server.NewUserAsync();
        var theirHistory = await other.CreateHistoryAsync();
        var myHistory = await User.CreateHistoryAsync();

        await GalaxyAssert.ErrorAsync(await User.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = theirHistory, authz_id = fixture.AuthzId, bucket, objects = new[] { "x.txt" } }), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = myHistory, authz_id = fixture.AuthzId, bucket, objects = new[] { "x.txt" } }), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = theirHistory, authz_id = fixture.AuthzId, bucket, objects = new[] { "x.txt" } }), HttpStatusCode.Forbidden, 403002);
    }

    [Fact]
    public async Task List_PagesObjectsAndPrefixes()
    {
        var bucket = await fixture.NewBucketAsync();
        foreach (var key in new[] { "a.txt", "b.txt", "c.txt", "dir1/x.txt", "dir2/y.txt" })
        {
            await fixture.PutAsync(bucket, key, Encoding.UTF8.GetBytes("data\n"));
        }

        var first = await User.GetFromJsonAsync<JsonElement>($"/api/cloud/storage/list?authz_id={fixture.AuthzId}&bucket={bucket}&delimiter=/&limit=2");
        var keys = first.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()).ToList();
        var token = first.GetProperty("next_page_token").GetString();
        Assert.NotNull(token);
        var rest = await User.GetFromJsonAsync<JsonElement>($"/api/cloud/storage/list?authz_id={fixture.AuthzId}&bucket={bucket}&delimiter=/&limit=10&page_token={Uri.EscapeDataString(token!)}");
        keys.AddRange(rest.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()));
        var prefixes = first.GetProperty("prefixes").EnumerateArray().Concat(rest.GetProperty("prefixes").EnumerateArray()).Select(p => p.GetString()).ToList();

        Assert.Equal(["a.txt", "b.txt", "c.txt"], keys.Select(k => k!).Order().ToArray());
        // Distinct: the GCS emulator repeats every prefix on every page (real stores report each once).
        Assert.Equal(["dir1/", "dir2/"], prefixes.Select(p => p!).Distinct().Order().ToArray());
        var item = first.GetProperty("objects")[0];
        Assert.Equal(5, item.GetProperty("size").GetInt64());
        Assert.True(item.TryGetProperty("last_modified", out _));
        Assert.True(item.TryGetProperty("etag", out _));
    }

    [Fact]
    public async Task List_WithoutBucket_Returns400007_AndForeignAuthz403()
    {
        await GalaxyAssert.ErrorAsync(await User.GetAsync($"/api/cloud/storage/list?authz_id={fixture.AuthzId}"), HttpStatusCode.BadRequest, 400007);
        using var other = await fixture.Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/cloud/storage/list?authz_id={fixture.AuthzId}&bucket=abc"), HttpStatusCode.Forbidden, 403002);
    }
}

public sealed class S3GetTests(S3Fixture fixture) : CloudGetTests<S3Fixture>(fixture), IClassFixture<S3Fixture>;

public sealed class AzureGetTests(AzureFixture fixture) : CloudGetTests<AzureFixture>(fixture), IClassFixture<AzureFixture>;

public sealed class GcsGetTests(GcsFixture fixture) : CloudGetTests<GcsFixture>(fixture), IClassFixture<GcsFixture>;
