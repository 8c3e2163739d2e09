using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Uploads;

/// <summary>Galaxy's older upload tool, <c>POST /api/tools</c> with <c>tool_id: upload1</c>, as BioBlend sends it.</summary>
public class Upload1Tests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    private static async Task<string> SingleOutputAsync(HttpResponseMessage response)
    {
        var body = await GalaxyAssert.OkJsonAsync(response);
        Assert.Single(body.GetProperty("jobs").EnumerateArray());
        return Assert.Single(body.GetProperty("outputs").EnumerateArray()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Upload1_PasteContentAsBioBlendSendsIt_UrlPasteAtTopLevel_CreatesDataset()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        // BioBlend's paste_content: upload inputs in "inputs", the content itself beside them at the top level.
        var payload = new Dictionary<string, object?>
        {
            ["history_id"] = historyId,
            ["tool_id"] = "upload1",
            ["inputs"] = new Dictionary<string, object?>
            {
                ["file_type"] = "auto", ["dbkey"] = "hg38", ["files_0|type"] = "upload_dataset", ["files_0|NAME"] = "notes.txt",
            },
            ["files_0|url_paste"] = "some notes\r\nmore notes\r\n",
        };

        var datasetId = await SingleOutputAsync(await client.PostAsJsonAsync("/api/tools", payload));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("notes.txt", dataset.GetProperty("name").GetString());
        Assert.Equal("hg38", dataset.GetProperty("genome_build").GetString());
        Assert.Equal("txt", dataset.GetProperty("extension").GetString());
        Assert.Equal("some notes\nmore notes\n", await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Upload1_JsonWithUrlPasteInInputs_CreatesDataset()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var payload = new
        {
            history_id = historyId,
            tool_id = "upload1",
            inputs = new Dictionary<string, object?>
            {
                ["file_type"] = "auto", ["dbkey"] = "?", ["files_0|type"] = "upload_dataset",
                ["files_0|url_paste"] = ">s1\nACGT\n", ["files_0|NAME"] = "pasted.fa",
            },
        };

        var datasetId = await SingleOutputAsync(await client.PostAsJsonAsync("/api/tools", payload));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("pasted.fa", dataset.GetProperty("name").GetString());
        Assert.Equal("fasta", dataset.GetProperty("extension").GetString());
        Assert.Equal(">s1\nACGT\n", await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Upload1_WithInputsAsJsonString_CreatesDataset()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var inputs = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["file_type"] = "tabular", ["dbkey"] = "?", ["files_0|type"] = "upload_dataset",
            ["files_0|url_paste"] = "a b c\n1 2 3\n", ["files_0|space_to_tab"] = "Yes",
        });

        var datasetId = await SingleOutputAsync(await client.PostAsJsonAsync("/api/tools", new { history_id = historyId, tool_id = "upload1", inputs }));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("tabular", dataset.GetProperty("extension").GetString());
        Assert.Equal("a\tb\tc\n1\t2\t3\n", await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Upload1_MultipartWithFilePart_StoresBinaryUnaltered()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var data = RandomBytes((1 << 20) + 333, seed: 31);
        // BioBlend's legacy upload_file: every non-file field is a string (inputs JSON-encoded), the file a part.
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(historyId), "history_id");
        form.Add(new StringContent("upload1"), "tool_id");
        form.Add(new StringContent(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["file_type"] = "auto", ["dbkey"] = "?", ["files_0|type"] = "upload_dataset", ["files_0|NAME"] = "blob.bin",
        })), "inputs");
        var file = new ByteArrayContent(data);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "files_0|file_data", "blob.bin");

        var datasetId = await SingleOutputAsync(await client.PostAsync("/api/tools", form));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("blob.bin", dataset.GetProperty("name").GetString());
        Assert.Equal(data.Length, dataset.GetProperty("file_size").GetInt64());
        Assert.Equal(Sha256Hex(data), Hash(dataset, "SHA-256"));
        Assert.Equal(data, await client.DownloadAsync(datasetId));
    }

    [Fact]
    public async Task Upload1_MultipartWithCrLfTextFile_ConvertsLineEndings()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(historyId), "history_id");
        form.Add(new StringContent("upload1"), "tool_id");
        form.Add(new StringContent("{\"file_type\": \"auto\", \"files_0|type\": \"upload_dataset\"}"), "inputs");
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("x\r\ny\r\n")), "files_0|file_data", "lines.txt");

        var datasetId = await SingleOutputAsync(await client.PostAsync("/api/tools", form));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("lines.txt", dataset.GetProperty("name").GetString());
        Assert.Equal("x\ny\n", await client.DownloadTextAsync(datasetId));
    }

    [Fact]
    public async Task Upload1_MultipartRejected_LeavesNoUploadFilesBehind()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        var before = Directory.GetFiles(Path.Combine(Server.DataDir, "uploads"));
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(historyId), "history_id");
        form.Add(new StringContent("upload1"), "tool_id");
        form.Add(new StringContent("{\"file_type\": \"auto\"}"), "inputs");
        form.Add(new ByteArrayContent(RandomBytes(50_000, seed: 32)), "files_0|file_data", "blob.bin");

        await GalaxyAssert.ErrorAsync(await other.PostAsync("/api/tools", form), HttpStatusCode.Forbidden, 403002);

        Assert.Empty(Directory.GetFiles(Path.Combine(Server.DataDir, "uploads")).Except(before));
        Assert.Empty((await owner.ContentsAsync(historyId)).EnumerateArray());
    }

    [Fact]
    public async Task Upload1_WithOtherToolId_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var payload = new
        {
            history_id = historyId,
            tool_id = "cat1",
            inputs = new Dictionary<string, object?> { ["files_0|url_paste"] = "a\n" },
        };

        var message = await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/tools", payload), HttpStatusCode.BadRequest, 400008);

        Assert.Contains("cat1", message);
        Assert.Empty((await client.ContentsAsync(historyId)).EnumerateArray());
    }

    [Fact]
    public async Task Upload1_WithoutAnyFile_Returns400007()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var payload = new
        {
            history_id = historyId,
            tool_id = "upload1",
            inputs = new Dictionary<string, object?> { ["file_type"] = "auto", ["files_0|type"] = "upload_dataset" },
        };

        await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/tools", payload), HttpStatusCode.BadRequest, 400007);
        Assert.Empty((await client.ContentsAsync(historyId)).EnumerateArray());
    }

    [Fact]
    public async Task Upload1_IntoForeignHistory_Returns403()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        var payload = new
        {
            history_id = historyId,
            tool_id = "upload1",
            inputs = new Dictionary<string, object?> { ["files_0|type"] = "upload_dataset", ["files_0|url_paste"] = "a\n" },
        };

        await GalaxyAssert.ErrorAsync(await other.PostAsJsonAsync("/api/tools", payload), HttpStatusCode.Forbidden, 403002);
        Assert.Empty((await owner.ContentsAsync(historyId)).EnumerateArray());
    }
}
