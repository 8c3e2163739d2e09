namespace Skyport.Tests.Infrastructure;

/// <summary>One server per test class (xunit class fixture): tests in a class share it, classes never do.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private SkyportServer? _server;

    public SkyportServer Server => _server ?? throw new InvalidOperationException("Server not started.");

    public async Task InitializeAsync() => _server = await SkyportServer.StartAsync(Settings);

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
