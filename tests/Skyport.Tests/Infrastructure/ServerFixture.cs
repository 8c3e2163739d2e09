namespace Skyport.Tests.Infrastructure;

/// <summary>One server per test class (xunit class fixture): tests in a class share it, classes never do.</summary>
public class ServerFixture : IAsyncLifetime
{
    private SkyportServer? _server;

    public SkyportServer Server => _server ?? throw new InvalidOperationException("Server not started.");

    /// <summary>The database the server runs on; <see cref="PostgresServerFixture"/> says PostgreSQL.</summary>
    protected virtual DatabaseProvider Database => DatabaseProvider.Sqlite;

    public async Task InitializeAsync() => _server = await SkyportServer.StartAsync(Settings, database: Database);

    /// <summary>Settings every server of this fixture starts with; private URLs are allowed so tests can fetch from loopback.</summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Skyport:Uploads:AllowPrivateUrls"] = "true",
    };

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The same server on a database of its own in the test PostgreSQL cluster.</summary>
public sealed class PostgresServerFixture : ServerFixture
{
    protected override DatabaseProvider Database => DatabaseProvider.Postgres;
}
