using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Uploads;

/// <summary>Pasted text and URLs through /api/tools/fetch, end to end: conversion, sniffing, retries and failures.</summary>
public class FetchSourcesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Fasta = ">seq1 first\nACGTACGTAC\nGGTTAACC\n>seq2\nTTTTGGGGCCCCAAAA\n";
    private const string Bed = "chr1\t100\t200\tpeak1\t0\t+\nchr1\t300\t450\tpeak2\t5\t-\nchr2\t10\t20\tpeak3\t3\t+\n";

    private SkyportServer Server => fixture.Server;

    private static object Pasted(string content, string ext = "auto", bool? toPosixLines = null, bool? spaceToTab = null) =>
        new { src = "pasted", paste_content = content, ext, to_posix_lines = toPosixLines, space_to_tab = spaceToTab };

    private static object Url(string url, string ext = "auto", bool? autoDecompress = null) =>
        new { src = "url", url, ext, auto_decompress = autoDecompress };

    private async Task<(string DatasetId, string JobId)> FetchOneAsync(HttpClient client, string historyId, object element) =>
        Assert.Single(await client.FetchAsync(Fetch(historyId, element)));

    [Fact]
    public async Task Pasted_CrLfText_WithToPosixLines_IsStoredWithLf()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Pasted("line one\r\nline two\r\nthree", ext: "txt", toPosixLines: true));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        var expected = "line one\nline two\nthree\n";
        Assert.Equal(expected, await client.DownloadTextAsync(datasetId));
        Assert.Equal(Encoding.UTF8.GetByteCount(expected), dataset.GetProperty("file_size").GetInt64());
        Assert.Equal(Sha256Hex(Encoding.UTF8.GetBytes(expected)), Hash(dataset, "SHA-256"));
    }

    [Fact]
    public async Task Pasted_CrLfText_WithoutToPosixLines_IsKept()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Pasted("a\r\nb\r\n", ext: "txt", toPosixLines: false));
        await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("a\r\nb\r\n", await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Pasted_WithSpaceToTab_ConvertsSpaceRunsToTabs()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Pasted("chr1 100   200\nchr2  5 9\n", ext: "tabular", spaceToTab: true));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("chr1\t100\t200\nchr2\t5\t9\n", await client.DownloadTextAsync(datasetId));
        Assert.Equal("tabular", dataset.GetProperty("extension").GetString());
    }

    [Fact]
    public async Task Pasted_Fasta_WithAutoExtension_IsSniffedAsFasta()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Pasted(Fasta));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("fasta", dataset.GetProperty("extension").GetString());
        Assert.Equal(Fasta, await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Pasted_Bed_WithAutoExtension_IsSniffedAsBed()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Pasted(Bed.Replace("\n", "\r\n")));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("bed", dataset.GetProperty("extension").GetString());
        Assert.Equal(Bed, await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Url_FromLocalServer_WithPrivateUrlsAllowed_BecomesOkDataset()
    {
        await using var origin = await OriginServer.StartAsync((context, _) => context.Response.WriteAsync(Fasta));
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Url(origin.Url("/reads.fasta")));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("reads.fasta", dataset.GetProperty("name").GetString());
        Assert.Equal("fasta", dataset.GetProperty("extension").GetString());
        Assert.Equal(Fasta, await client.DownloadTextAsync(datasetId));
        Assert.Equal(1, origin.Hits("/reads.fasta"));
    }

    [Fact]
    public async Task Url_OnServerWithoutPrivateUrls_Returns400008_AndNeverConnects()
    {
        await using var origin = await OriginServer.StartAsync((context, _) => context.Response.WriteAsync(Fasta));
        await using var strict = await SkyportServer.StartAsync();
        using var client = await strict.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        foreach (var url in new[] { origin.Url("/reads.fasta"), origin.Url("/reads.fasta").Replace("127.0.0.1", "localhost") })
        {
            var response = await client.PostAsJsonAsync("/api/tools/fetch", Fetch(historyId, Url(url)));
            var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
            Assert.Contains("Refusing", message);
        }

        Assert.Empty((await client.ContentsAsync(historyId)).EnumerateArray());
        Assert.Equal(0, origin.Hits("/reads.fasta"));
    }

    [Fact]
    public async Task Url_Returning404_EndsInDatasetErrorAndJobErrorWithStderr()
    {
        await using var origin = await OriginServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, jobId) = await FetchOneAsync(client, historyId, Url(origin.Url("/missing.bed")));
        var dataset = await client.WaitForDatasetAsync(datasetId, TimeSpan.FromSeconds(60));
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));

        Assert.Equal("error", dataset.GetProperty("state").GetString());
        Assert.Contains("404", dataset.GetProperty("misc_info").GetString());
        Assert.Equal("error", job.GetProperty("state").GetString());
        Assert.Contains("404", job.GetProperty("stderr").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{datasetId}/display"), HttpStatusCode.BadRequest, 0);
    }

    [Fact]
    public async Task Url_Returning503Twice_IsRetriedWithBackoff_AndEndsOk()
    {
        await using var origin = await OriginServer.StartAsync(async (context, hit) =>
        {
            if (hit <= 2)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await context.Response.WriteAsync(Bed);
        });
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, jobId) = await FetchOneAsync(client, historyId, Url(origin.Url("/flaky.bed")));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);
        var job = await client.WaitForJobAsync(jobId);

        Assert.Equal("ok", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("attempts").GetInt32() >= 3, $"attempts: {job}");
        Assert.Equal(3, origin.Hits("/flaky.bed"));
        Assert.Equal("bed", dataset.GetProperty("extension").GetString());
        Assert.Equal(Bed, await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Url_GzippedText_WithAutoDecompress_IsStoredDecompressed()
    {
        var gzipped = Gzip(Encoding.UTF8.GetBytes(Bed));
        await using var origin = await OriginServer.StartAsync((context, _) => context.Response.Body.WriteAsync(gzipped).AsTask());
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Url(origin.Url("/peaks.bed.gz"), autoDecompress: true));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal(Bed, await client.DownloadTextAsync(datasetId));
        Assert.Equal("bed", dataset.GetProperty("extension").GetString());
        Assert.Equal(Sha256Hex(Encoding.UTF8.GetBytes(Bed)), Hash(dataset, "SHA-256"));
    }

    [Fact]
    public async Task Url_GzippedText_WithoutAutoDecompress_IsStoredUnaltered()
    {
        var gzipped = Gzip(Encoding.UTF8.GetBytes(Bed));
        await using var origin = await OriginServer.StartAsync((context, _) => context.Response.Body.WriteAsync(gzipped).AsTask());
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, _) = await FetchOneAsync(client, historyId, Url(origin.Url("/peaks.bed.gz"), autoDecompress: false));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal(gzipped, await client.DownloadAsync(datasetId));
        Assert.Equal(Sha256Hex(gzipped), Hash(dataset, "SHA-256"));
    }

    [Fact]
    public async Task Url_RandomBinary_IsStoredUnaltered()
    {
        var data = RandomBytes((2 << 20) + 7, seed: 21);
        await using var origin = await OriginServer.StartAsync((context, _) => context.Response.Body.WriteAsync(data).AsTask());
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, jobId) = await FetchOneAsync(client, historyId, Url(origin.Url("/blob.bin")));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal(data, await client.DownloadAsync(datasetId));
        Assert.Equal(Md5Hex(data), Hash(dataset, "MD5"));
        var job = await client.WaitForJobAsync(jobId);
        Assert.Equal(data.Length, job.GetProperty("progress").GetProperty("bytes_done").GetInt64());
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }
}
