using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Skyport.Server.Uploads;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Uploads;

public sealed class StorageSweeperTests
{
    [Fact]
    public async Task Sweep_RemovesExpiredSessionsAndStaleTemporaries_KeepsFreshOnes()
    {
        await using var server = await SkyportServer.StartAsync(new Dictionary<string, string?> { ["Skyport:Uploads:SessionHours"] = "0.0001" });
        using var client = await server.NewUserAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/upload/resumable_upload/");
        request.Headers.Add("Upload-Length", "10");
        request.Headers.Add("Tus-Resumable", "1.0.0");
        var created = await client.SendAsync(request);
        created.EnsureSuccessStatusCode();
        var sessionId = created.Headers.Location!.ToString().Split('/').Last();
        var sessionFile = Path.Combine(server.DataDir, "uploads", sessionId);
        var stale = Path.Combine(server.DataDir, "tmp", "crashed.part");
        var fresh = Path.Combine(server.DataDir, "tmp", "in-use.part");
        await File.WriteAllTextAsync(stale, "left by a crash");
        await File.WriteAllTextAsync(fresh, "being written");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - TimeSpan.FromDays(3));
        File.SetLastWriteTimeUtc(sessionFile, DateTime.UtcNow - TimeSpan.FromHours(1));
        await Task.Delay(500); // the session (0.36 s lifetime) expires

        var sweeper = server.Services.GetServices<IHostedService>().OfType<StorageSweeper>().Single();
        await sweeper.SweepAsync(CancellationToken.None);

        Assert.False(File.Exists(sessionFile));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
        var head = new HttpRequestMessage(HttpMethod.Head, $"/api/upload/resumable_upload/{sessionId}");
        head.Headers.Add("Tus-Resumable", "1.0.0");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.SendAsync(head)).StatusCode);
    }
}
