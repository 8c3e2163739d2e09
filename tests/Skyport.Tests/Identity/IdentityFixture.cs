using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Identity;

/// <summary>
/// A test cloud (OIDC provider and token-service doubles) and a Skyport server configured against it:
/// provider <c>mock</c>, and the AWS, Azure and Google token endpoints pointed at the doubles.
/// Everything the server logs is captured.
/// </summary>
public sealed class IdentityFixture : IAsyncLifetime
{
    public const string Provider = "mock";
    private TestCloud? _cloud;
    private SkyportServer? _server;

    public TestCloud Cloud => _cloud ?? throw new InvalidOperationException("Not started.");
    public SkyportServer Server => _server ?? throw new InvalidOperationException("Not started.");
    public LogCapture Logs { get; } = new();

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        _server = await SkyportServer.StartAsync(Settings(_cloud), configure: Logs.AddTo);
    }

    public static Dictionary<string, string?> Settings(TestCloud cloud) => new()
    {
        [$"Skyport:Oidc:Providers:{Provider}:Authority"] = cloud.Issuer,
        [$"Skyport:Oidc:Providers:{Provider}:ClientId"] = TestCloud.ClientId,
        [$"Skyport:Oidc:Providers:{Provider}:ClientSecret"] = "oidc-client-secret-value",
        [$"Skyport:Oidc:Providers:{Provider}:RequireHttpsMetadata"] = "false",
        ["Skyport:Cloud:Aws:StsEndpoint"] = cloud.Sts.ToString(),
        ["Skyport:Cloud:Azure:AuthorityHost"] = cloud.Entra.ToString(),
        ["Skyport:Cloud:Azure:DisableInstanceDiscovery"] = "true",
        ["Skyport:Cloud:Gcp:StsTokenUrl"] = new Uri(cloud.GoogleSts, "/v1/token").ToString(),
        ["Skyport:Cloud:Gcp:IamUrl"] = cloud.GoogleIam.ToString(),
        // Production's log level: what an operator would see must be free of secrets.
        ["Logging:LogLevel:Default"] = "Information",
    };

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}
