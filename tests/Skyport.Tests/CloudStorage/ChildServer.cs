using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skyport.Tests.Cli;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// The real server as a child process on one data folder and port, that a test can kill with SIGKILL (no shutdown code
/// runs, as in a power cut) and start again on the same folder. Jobs get short leases and fast polling, so a job held
/// by the killed process is taken over within seconds of the restart.
/// </summary>
public sealed class ChildServer : IDisposable
{
    private Process? _host;

    public string DataDir { get; } = TempFolder.Create("skyport-crash");
    public Uri Url { get; } = new($"http://127.0.0.1:{FreePort()}");

    /// <summary>Transfer and job settings of a crash test: one worker, 5 s leases (short, yet long enough that a loaded machine does not lose one), quick retries, on top of <paramref name="settings"/>.</summary>
    public static Dictionary<string, string?> CrashSettings(Dictionary<string, string?> settings)
    {
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Skyport:Transfers:PartSizeMiB"] = "5";
        settings["Skyport:Transfers:MultipartThresholdMiB"] = "5";
        settings["Skyport:Transfers:PartConcurrency"] = "1";
        settings["Skyport:Jobs:LeaseSeconds"] = "5";
        settings["Skyport:Jobs:Workers"] = "1";
        settings["Skyport:Jobs:PollSeconds"] = "0.2";
        settings["Skyport:Jobs:RetryBaseSeconds"] = "0.1";
        return settings;
    }

    public async Task StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var args = new List<string> { "serve", "--data-dir", DataDir, "--urls", Url.ToString().TrimEnd('/') };
        args.AddRange(settings.Where(s => s.Value is not null).Select(s => $"--{s.Key}={s.Value}"));
        _host = Process.Start(HostProcess.StartInfo([.. args]))!;
        _ = _host.StandardOutput.ReadToEndAsync();
        _ = _host.StandardError.ReadToEndAsync();
        using var probe = new HttpClient { BaseAddress = Url };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(_host.HasExited, $"The server exited with {(_host.HasExited ? _host.ExitCode : 0)}.");
            try
            {
                return (await probe.GetAsync("/api/version")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(180), $"the server to answer on {Url}"); // a start takes seconds, far longer on a loaded machine
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut.</summary>
    public void Kill()
    {
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true);
            _host.WaitForExit(10_000);
        }
        _host?.Dispose();
        _host = null;
    }

    /// <summary>The running job's checkpoint as the killed server left it in the database.</summary>
    public async Task<JsonElement> CheckpointAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "skyport.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Checkpoint FROM jobs WHERE State = 'Running'";
        var json = (string?)await command.ExecuteScalarAsync();
        Assert.NotNull(json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    public void Dispose() => Kill();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
