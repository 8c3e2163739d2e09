using System.Data.Common;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Skyport.Server;
using Skyport.Server.Data;

namespace Skyport.Tests.Infrastructure;

/// <summary>
/// A real Skyport server on a loopback port with its own data folder and database (SQLite in the folder, or a fresh
/// database of the test PostgreSQL cluster), started the way <c>./skyport serve</c> starts it. Tests talk to it through real HTTP.
/// </summary>
public sealed class SkyportServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SkyportServer(WebApplication app, string dataDir, Uri baseAddress, string adminKey, DatabaseProvider database)
    {
        _app = app;
        Database = database;
        DataDir = dataDir;
        BaseAddress = baseAddress;
        AdminKey = adminKey;
    }

    public string DataDir { get; }
    public DatabaseProvider Database { get; }
    public Uri BaseAddress { get; }
    public string AdminKey { get; }
    public IServiceProvider Services => _app.Services;

    /// <param name="settings">Configuration overrides, e.g. <c>["Skyport:Jobs:Workers"] = "1"</c>.</param>
    /// <param name="configure">Extra set-up of the server's builder (e.g. a log capture).</param>
    /// <param name="database">PostgreSQL: a new database of the test cluster, unless <paramref name="settings"/> name one.</param>
    public static async Task<SkyportServer> StartAsync(IDictionary<string, string?>? settings = null, string? dataDir = null,
        Action<WebApplicationBuilder>? configure = null, DatabaseProvider database = DatabaseProvider.Sqlite)
    {
        dataDir ??= TempFolder.Create("skyport-test");
        var args = new List<string> { "--urls=http://127.0.0.1:0", $"--Skyport:DataDir={dataDir}", "--Logging:LogLevel:Default=Warning",
            "--Skyport:Jobs:PollSeconds=0.2", "--Skyport:Jobs:RetryBaseSeconds=0.1" };
        if (database == DatabaseProvider.Postgres && settings?.ContainsKey("Skyport:Database:ConnectionString") != true)
        {
            args.Add("--Skyport:Database:Provider=postgres");
            args.Add($"--Skyport:Database:ConnectionString={await PostgresCluster.NewDatabaseAsync()}");
        }
        args.AddRange((settings ?? new Dictionary<string, string?>()).Select(s => $"--{s.Key}={s.Value}"));
        var app = SkyportApplication.Build([.. args], configure);
        var admin = await app.PrepareAsync(CancellationToken.None);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new SkyportServer(app, dataDir, new Uri(address), admin?.ApiKey ?? "", database);
    }

    /// <summary>A new open connection to the server's database (SQLite or PostgreSQL), to check what is stored. Quote identifiers ("State") so the SQL runs on both.</summary>
    public DbConnection OpenDatabase()
    {
        var database = Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        DbConnection connection = database.IsPostgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ToString())
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(DataDir, "skyport.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    public HttpClient Client(string apiKey)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    /// <summary>Creates a user through the API (as the administrator) and returns a client authenticated as them.</summary>
    public async Task<HttpClient> NewUserAsync(string? email = null)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.org";
        using var admin = Admin();
        var created = await admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password" });
        created.EnsureSuccessStatusCode();
        using var basic = Anonymous();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{email}:secret-password")));
        var key = await basic.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/authenticate/baseauth");
        return Client(key.GetProperty("api_key").GetString()!);
    }

    public async Task StopAsync()
    {
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
