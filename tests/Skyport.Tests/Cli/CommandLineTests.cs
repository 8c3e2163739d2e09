using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Cli;

/// <summary>The README's commands, run as a user runs them: the host program as a separate process.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task UsersCreate_PrintsApiKeyAsLastLine_AndUsersListShowsTheUser()
    {
        var dataDir = TempFolder.Create("skyport-cli");

        var (exit, stdout, stderr) = await HostProcess.RunAsync("users", "create", "--email", "Ada@Example.org", "--password", "analytical", "--admin", "--data-dir", dataDir);

        Assert.True(exit == 0, stderr);
        var key = stdout.TrimEnd().Split('\n').Last().Trim();
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.DoesNotContain(key, File.ReadAllText(Path.Combine(dataDir, "skyport.db"), System.Text.Encoding.Latin1));

        var list = await HostProcess.RunAsync("users", "list", "--data-dir", dataDir);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("ada@example.org", list.Stdout);
        Assert.DoesNotContain(key, list.Stdout);
    }

    [Fact]
    public async Task UsersCreate_WithDuplicateEmail_FailsWithMessage()
    {
        var dataDir = TempFolder.Create("skyport-cli");
        Assert.Equal(0, (await HostProcess.RunAsync("users", "create", "--email", "x@example.org", "--data-dir", dataDir)).ExitCode);

        var (exit, _, stderr) = await HostProcess.RunAsync("users", "create", "--email", "x@example.org", "--data-dir", dataDir);

        Assert.NotEqual(0, exit);
        Assert.Contains("already exists", stderr);
    }

    [Fact]
    public async Task Serve_OnFirstStart_PrintsAdminKeyOnce_AndTheKeyWorks()
    {
        var dataDir = TempFolder.Create("skyport-serve");
        var url = $"http://127.0.0.1:{FreePort()}";

        var key = await ServeOnceAsync(dataDir, url, async key =>
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            client.DefaultRequestHeaders.Add("x-api-key", key);
            var user = JsonDocument.Parse(await client.GetStringAsync("/api/users/current")).RootElement;
            Assert.True(user.GetProperty("is_admin").GetBoolean());
        });
        Assert.Matches("^[0-9a-f]{32}$", key);

        // Second start on the same data: no new administrator, no key printed.
        var second = await ServeOnceAsync(dataDir, url, _ => Task.CompletedTask);
        Assert.Null(second);
    }

    [Fact]
    public async Task Serve_WithInvalidSetting_ExitsNamingTheKey()
    {
        var (exit, _, stderr) = await HostProcess.RunAsync("serve", "--data-dir", TempFolder.Create("skyport-bad"), "--Skyport:Jobs:Workers=99");

        Assert.Equal(2, exit);
        Assert.Contains("Skyport:Jobs:Workers", stderr);
    }

    [Fact]
    public async Task Serve_WithMisspeltSetting_ExitsNamingTheKey()
    {
        var (exit, _, stderr) = await HostProcess.RunAsync("serve", "--data-dir", TempFolder.Create("skyport-bad"), "--Skyport:Jobs:Wrkers=3");

        Assert.Equal(2, exit);
        Assert.Contains("Wrkers", stderr);
    }

    /// <summary>Starts `serve`, waits until it answers, hands the first-start key (or null) to <paramref name="whileRunning"/>, then stops it.</summary>
    private static async Task<string?> ServeOnceAsync(string dataDir, string url, Func<string, Task> whileRunning)
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = new Process { StartInfo = HostProcess.StartInfo("serve", "--data-dir", dataDir, "--urls", url) };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        try
        {
            await WaitListeningAsync(url);
            var output = lines.ToList();
            var marker = output.FindIndex(l => l.Contains("shown only now"));
            var key = marker >= 0 && marker + 1 < output.Count ? output[marker + 1].Trim() : null;
            await whileRunning(key ?? "");
            return key;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task WaitListeningAsync(string url)
    {
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        for (var i = 0; i < 600; i++)
        {
            try
            {
                await client.GetAsync("/api/version");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"The server did not answer on {url} within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
