using System.Net;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.ServerInfo;

public sealed class ServerInfoApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task Version_IsAtLeast2201ComparedAsStrings()
    {
        using var anonymous = Server.Anonymous();

        var version = await GalaxyAssert.OkJsonAsync(await anonymous.GetAsync("/api/version"));

        var major = version.GetProperty("version_major").GetString()!;
        // BioBlend decides how to upload with a plain string comparison: "23.1" >= "22.01".
        Assert.True(string.CompareOrdinal(major, "22.01") >= 0, $"version_major '{major}' compares below '22.01'");
        Assert.False(string.IsNullOrEmpty(version.GetProperty("version_minor").GetString()));
        Assert.StartsWith(major, version.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Configuration_AnonymousAndAuthenticated()
    {
        using var anonymous = Server.Anonymous();
        using var admin = Server.Admin();

        var open = await GalaxyAssert.OkJsonAsync(await anonymous.GetAsync("/api/configuration"));
        var signedIn = await GalaxyAssert.OkJsonAsync(await admin.GetAsync("/api/configuration"));

        Assert.False(open.GetProperty("is_authenticated").GetBoolean());
        Assert.True(signedIn.GetProperty("is_authenticated").GetBoolean());
        var version = await GalaxyAssert.OkJsonAsync(await anonymous.GetAsync("/api/version"));
        Assert.Equal(version.GetProperty("version_major").GetString(), open.GetProperty("version_major").GetString());
        Assert.Equal("/api/upload/resumable_upload", open.GetProperty("tus_upload_path").GetString());
        Assert.True(open.GetProperty("chunk_upload_size").GetInt64() > 0);
    }

    [Fact]
    public async Task Datatypes_ListsGalaxyExtensions()
    {
        using var anonymous = Server.Anonymous();

        var datatypes = await GalaxyAssert.OkJsonAsync(await anonymous.GetAsync("/api/datatypes"));

        var extensions = datatypes.EnumerateArray().Select(e => e.GetString()).ToList();
        foreach (var expected in new[] { "bam", "sam", "fastqsanger", "fastqsanger.gz", "vcf", "vcf_bgzip", "bed", "fasta", "tabular", "txt", "data" })
        {
            Assert.Contains(expected, extensions);
        }
        Assert.Equal(extensions.Count, extensions.Distinct().Count());
    }

    [Fact]
    public async Task Datatypes_WithExtensionOnlyFalse_ListsDetails()
    {
        using var anonymous = Server.Anonymous();

        var datatypes = await GalaxyAssert.OkJsonAsync(await anonymous.GetAsync("/api/datatypes?extension_only=false"));

        var bam = datatypes.EnumerateArray().Single(d => d.GetProperty("extension").GetString() == "bam");
        Assert.True(bam.GetProperty("is_binary").GetBoolean());
        Assert.False(string.IsNullOrEmpty(bam.GetProperty("description").GetString()));
    }

    [Fact]
    public async Task Datatypes_WithInvalidExtensionOnly_Returns400008()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/datatypes?extension_only=perhaps"), HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task ServerInfo_IgnoresAnInvalidKey()
    {
        // These endpoints are public: clients probe them before they have a working key.
        using var wrong = Server.Client("ffffffffffffffffffffffffffffffff");
        await GalaxyAssert.OkJsonAsync(await wrong.GetAsync("/api/version"));
        var configuration = await GalaxyAssert.OkJsonAsync(await wrong.GetAsync("/api/configuration"));
        Assert.False(configuration.GetProperty("is_authenticated").GetBoolean());
    }

    [Fact]
    public async Task Version_ServesJson()
    {
        using var anonymous = Server.Anonymous();
        var response = await anonymous.GetAsync("/api/version");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(JsonValueKind.Object, (await GalaxyAssert.OkJsonAsync(response)).ValueKind);
    }
}
