using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Uploads;

/// <summary>The requests upload clients (BioBlend, tus-py-client, Galaxy's web client) send, spelled once for the tests.</summary>
internal static class UploadRequests
{
    public const string TusPath = "/api/upload/resumable_upload/";
    public const string OffsetOctetStream = "application/offset+octet-stream";

    /// <summary>TUS creation: returns the session id (the last segment of the Location header).</summary>
    public static async Task<string> CreateTusSessionAsync(this HttpClient client, long length, string filename = "upload.bin")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TusPath);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", length.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", $"filename {Convert.ToBase64String(Encoding.UTF8.GetBytes(filename))}");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"TUS creation answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var location = response.Headers.Location ?? throw new InvalidOperationException("No Location header.");
        return location.OriginalString.TrimEnd('/').Split('/')[^1];
    }

    public static HttpRequestMessage TusPatch(string sessionId, long offset, HttpContent content, string contentType = OffsetOctetStream)
    {
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Patch, TusPath + sessionId) { Content = content };
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        return request;
    }

    public static async Task<HttpResponseMessage> PatchAsync(this HttpClient client, string sessionId, long offset, ReadOnlyMemory<byte> chunk, string contentType = OffsetOctetStream)
    {
        using var request = TusPatch(sessionId, offset, new ByteArrayContent(chunk.ToArray()), contentType);
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> HeadAsync(this HttpClient client, string sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, TusPath + sessionId);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return await client.SendAsync(request);
    }

    public static long HeaderLong(HttpResponseMessage response, string name) =>
        long.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);

    /// <summary>A complete TUS upload in chunks, as tus-py-client does it; returns the session id.</summary>
    public static async Task<string> UploadTusAsync(this HttpClient client, byte[] data, int chunkSize, string filename = "upload.bin")
    {
        var sessionId = await client.CreateTusSessionAsync(data.Length, filename);
        for (var offset = 0; offset < data.Length; offset += chunkSize)
        {
            using var response = await client.PatchAsync(sessionId, offset, data.AsMemory(offset, Math.Min(chunkSize, data.Length - offset)));
            Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"PATCH answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(Math.Min(offset + chunkSize, data.Length), HeaderLong(response, "Upload-Offset"));
        }
        return sessionId;
    }

    public static object HdasTarget(params object[] elements) => new { destination = new { type = "hdas" }, elements };

    /// <summary>BioBlend's <c>_fetch_payload</c> after a TUS upload.</summary>
    public static Dictionary<string, object?> FetchFromSession(string historyId, string sessionId, string name, string ext = "auto") => new()
    {
        ["history_id"] = historyId,
        ["targets"] = new[] { HdasTarget(new { src = "files", ext, dbkey = "?", to_posix_lines = true, space_to_tab = false, name }) },
        ["files_0|file_data"] = new { session_id = sessionId, name },
        ["auto_decompress"] = false,
    };

    public static Dictionary<string, object?> Fetch(string historyId, params object[] elements) => new()
    {
        ["history_id"] = historyId,
        ["targets"] = new[] { HdasTarget(elements) },
    };

    /// <summary>Posts a fetch request that must be accepted; returns (dataset id, job id) of each output.</summary>
    public static async Task<IReadOnlyList<(string DatasetId, string JobId)>> FetchAsync(this HttpClient client, object payload)
    {
        var body = await GalaxyAssert.OkJsonAsync(await client.PostAsJsonAsync("/api/tools/fetch", payload));
        var outputs = body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("id").GetString()!).ToList();
        var jobs = body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToList();
        Assert.Equal(outputs.Count, jobs.Count);
        return outputs.Zip(jobs).ToList();
    }

    /// <summary>Waits for the dataset and asserts it ended ok (showing the dataset when it did not).</summary>
    public static async Task<JsonElement> WaitForOkDatasetAsync(this HttpClient client, string datasetId, TimeSpan? timeout = null)
    {
        var dataset = await client.WaitForDatasetAsync(datasetId, timeout ?? TimeSpan.FromSeconds(60));
        Assert.True(dataset.GetProperty("state").GetString() == "ok", $"Dataset did not end ok: {dataset}");
        return dataset;
    }

    public static async Task<byte[]> DownloadAsync(this HttpClient client, string datasetId)
    {
        using var response = await client.GetAsync($"/api/datasets/{datasetId}/display?to_ext=data");
        Assert.True(response.IsSuccessStatusCode, $"Download answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    public static async Task<string> DownloadTextAsync(this HttpClient client, string datasetId) =>
        Encoding.UTF8.GetString(await client.DownloadAsync(datasetId));

    public static async Task<JsonElement> ContentsAsync(this HttpClient client, string historyId) =>
        await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/histories/{historyId}/contents"));

    public static string Hash(JsonElement dataset, string function) =>
        dataset.GetProperty("hashes").EnumerateArray().Single(h => h.GetProperty("hash_function").GetString() == function)
            .GetProperty("hash_value").GetString()!;

    public static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    /// <summary>Incompressible bytes, seeded so that a failure reproduces.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static string ApiKeyOf(HttpClient client) => client.DefaultRequestHeaders.GetValues("x-api-key").Single();
}
