using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using Skyport.Tests.Cli;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Skyport.Tests.ScaleOut;

/// <summary>
/// Scale-out end to end: two API servers (<c>serve --no-workers</c>) and two workers (<c>worker</c>), four child
/// processes on one PostgreSQL database, one shared data folder and the test cloud's S3 emulator. Transfers are
/// submitted to both servers; one worker is killed with SIGKILL while it holds jobs; every transfer still ends ok,
/// exactly once, with the object's bytes.
/// </summary>
public sealed class MultiProcessTests(TransferCloudFixture fixture, ITestOutputHelper output) : IClassFixture<TransferCloudFixture>, IAsyncLifetime
{
    private const int Transfers = 200;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(240);
    private readonly List<ChildHost> _hosts = [];

    public Task InitializeAsync() => fixture.Cloud.ClearS3FaultsAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }
        await fixture.Cloud.ClearS3FaultsAsync();
    }

    [Fact]
    public async Task TwoServersTwoWorkers_WorkerKilledMidway_EveryTransferCompletesExactlyOnce()
    {
        var database = await PostgresCluster.NewDatabaseAsync(migrated: false);
        var dataDir = TempFolder.Create("skyport-scaleout");
        var settings = fixture.ServerSettings(new Dictionary<string, string>
        {
            ["Skyport:Database:Provider"] = "postgres",
            ["Skyport:Database:ConnectionString"] = database,
            ["Skyport:Jobs:Workers"] = "2",
            ["Skyport:Jobs:LeaseSeconds"] = "5",
            ["Skyport:Jobs:RetryBaseSeconds"] = "0.1",
        });
        string[] common = ["--data-dir", dataDir, .. settings.Select(s => $"--{s.Key}={s.Value}")];

        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Log(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0} s  {what}");
        var migrate = await HostProcess.RunAsync(["migrate", .. common]);
        Assert.True(migrate.ExitCode == 0, migrate.Stdout + migrate.Stderr);
        // All four start together, as after a site-wide restart.
        string[] started = [.. common, "--Skyport:Database:MigrateAtStart=false"];
        var hosts = await Task.WhenAll(
            ChildHost.StartAsync("serve", "/api/version", ["--no-workers", .. started]),
            ChildHost.StartAsync("serve", "/api/version", ["--no-workers", .. started]),
            ChildHost.StartAsync("worker", "/health", started),
            ChildHost.StartAsync("worker", "/health", started));
        _hosts.AddRange(hosts);
        Log("migrated; two servers and two workers up");
        var (victim, survivor) = (hosts[2], hosts[3]);

        // Signed in on the first server; the second server takes the same user's API key, histories made on the
        // first (encoded ids) and the authorization whose tokens the first encrypted (shared key ring).
        using var session = await fixture.SignInAsync(hosts[0].Url);
        using var second = new HttpClient { BaseAddress = hosts[1].Url };
        second.DefaultRequestHeaders.Add("x-api-key", await NewApiKeyAsync(session.Http));
        var servers = new[] { session.Http, second };
        var histories = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            histories.Add(await session.Http.CreateHistoryAsync($"scale-out {i}"));
        }

        Log("signed in");
        var bucket = await fixture.NewBucketAsync();
        var objects = Enumerable.Range(0, Transfers).ToDictionary(i => $"small/{i:D3}.bin", i => RandomNumberGenerator.GetBytes(1024 + i * 97));
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (o, _) => await fixture.PutAsync(bucket, o.Key, o.Value));
        // Each object read takes a while, so a worker is always holding jobs when it is killed.
        await fixture.Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(150));

        Log($"{Transfers} objects in the bucket");
        // 40 requests of 5 objects, alternating between the servers and over the histories.
        var datasetOf = new Dictionary<string, string>();
        var requests = objects.Keys.Chunk(5).Select((keys, i) => (keys, i)).ToList();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (request, ct) =>
        {
            var queued = await GalaxyAssert.OkJsonAsync(await servers[request.i % 2].PostAsJsonAsync("/api/cloud/storage/get",
                new { history_id = histories[request.i % 4], authz_id = session.AuthzId, bucket, objects = request.keys }, ct));
            var ids = queued.EnumerateArray().ToDictionary(d => Path.GetFileName(d.GetProperty("name").GetString()!), d => d.GetProperty("id").GetString()!);
            lock (datasetOf)
            {
                foreach (var key in request.keys)
                {
                    datasetOf[key] = ids[Path.GetFileName(key)];
                }
            }
        });
        Log($"{Transfers} transfers submitted");
        // Kill one worker while it holds running jobs, once the run is well under way. It must hold a few whose leases
        // are not about to run out: between the look and the kill its two job loops can each finish a job (every read
        // takes 150 ms, so not more), and a job of a batch that has not started yet is not renewed, so on a loaded
        // machine the survivor may take it over at any moment (which is not what this test is about).
        bool HeldByVictim(JobRow j) => j.State == "Running" && j.LeaseOwner?.Contains($":{victim.ProcessId}:", StringComparison.Ordinal) == true;
        await Poll.UntilAsync(async () =>
        {
            Assert.False(victim.HasExited, $"The worker to be killed exited by itself:\n{victim.Output}");
            var jobs = await JobsAsync(database);
            var leaseFloor = DateTime.UtcNow.AddSeconds(2);
            return jobs.Count(j => HeldByVictim(j) && j.LeaseExpiresAt > leaseFloor) >= 3 && jobs.Count(j => j.State == "Ok") >= Transfers / 5;
        }, Slow, "the first worker to hold three jobs with leases to run, with a fifth of the transfers done");
        victim.Kill();
        // What the dead worker still holds (its leases have not run out yet): these must be taken over.
        var held = (await JobsAsync(database)).Where(HeldByVictim).Select(j => j.Id).ToList();
        Log($"worker {victim.ProcessId} killed holding jobs {string.Join(", ", held)}");
        Assert.NotEmpty(held);

        await Poll.UntilAsync(async () => (await JobsAsync(database)).Count(j => j.State is "Ok" or "Error") == Transfers, Slow,
            $"all {Transfers} jobs to finish (survivor's output: {survivor.Output})");
        var finished = await JobsAsync(database);
        Log("all jobs finished");
        output.WriteLine(string.Join("\n", finished.Where(j => held.Contains(j.Id) || j.Attempts > 1)));

        Assert.Equal(Transfers, finished.Count);
        Assert.All(finished, j => Assert.True(j.State == "Ok", $"Job {j.Id} ended {j.State}: {j.Stderr}"));
        Assert.Equal(Transfers, finished.Select(j => j.OutputDatasetId).Distinct().Count());
        Assert.All(finished, j => Assert.InRange(j.Attempts, 1, 2));
        // The killed worker's jobs were taken over (a second attempt) and finished by the survivor.
        Assert.All(finished.Where(j => held.Contains(j.Id)), j => Assert.Equal(2, j.Attempts));
        Assert.Equal(Transfers, await ScalarAsync(database, "SELECT count(*) FROM datasets"));
        Assert.Equal(Transfers, await ScalarAsync(database, "SELECT count(*) FROM datasets WHERE \"State\" = 'Ok'"));

        // Exactly once: a job that ran once read its object once; none read it more often than it was started.
        var reads = (await fixture.Cloud.S3RequestsAsync(bucket)).Where(r => r.Operation == "GetObject" && r.Succeeded)
            .GroupBy(r => r.Key!).ToDictionary(g => g.Key, g => g.Count());
        var attemptsOf = await AttemptsByObjectAsync(database);
        Assert.Equal(Transfers, attemptsOf.Count);
        foreach (var key in objects.Keys)
        {
            var attempts = attemptsOf[Path.GetFileName(key)];
            var read = reads.GetValueOrDefault(key);
            Assert.True(attempts == 1 ? read == 1 : read is >= 1 and <= 2, $"{key}: read {read} times by a job started {attempts} times");
        }

        // Verified bytes, served by either server.
        var index = 0;
        foreach (var (key, bytes) in objects)
        {
            var dataset = await servers[index++ % 2].GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetOf[key]}");
            Assert.Equal("ok", dataset.GetProperty("state").GetString());
            var content = await servers[index % 2].GetByteArrayAsync($"/api/datasets/{datasetOf[key]}/display");
            Assert.Equal(MD5.HashData(bytes), MD5.HashData(content));
        }
    }

    private static async Task<string> NewApiKeyAsync(HttpClient http)
    {
        var user = await http.GetFromJsonAsync<JsonElement>("/api/users/current");
        var key = await GalaxyAssert.OkJsonAsync(await http.PostAsync($"/api/users/{user.GetProperty("id").GetString()}/api_key", null));
        return key.GetString()!;
    }

    /// <summary>Each get's attempts, by the object's file name (its dataset's name).</summary>
    private static async Task<Dictionary<string, int>> AttemptsByObjectAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(
            "SELECT d.\"Name\", j.\"Attempts\" FROM jobs j JOIN datasets d ON d.\"Id\" = j.\"OutputDatasetId\"", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var attempts = new Dictionary<string, int>();
        while (await reader.ReadAsync())
        {
            attempts.Add(Path.GetFileName(reader.GetString(0)), reader.GetInt32(1));
        }
        return attempts;
    }

    private sealed record JobRow(long Id, string State, int Attempts, string? LeaseOwner, DateTime? LeaseExpiresAt, long OutputDatasetId, string? Stderr);

    private static async Task<List<JobRow>> JobsAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand("SELECT \"Id\", \"State\", \"Attempts\", \"LeaseOwner\", \"LeaseExpiresAt\", \"OutputDatasetId\", \"Stderr\" FROM jobs", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new List<JobRow>();
        while (await reader.ReadAsync())
        {
            jobs.Add(new JobRow(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc), reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        return jobs;
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        return connection;
    }
}
