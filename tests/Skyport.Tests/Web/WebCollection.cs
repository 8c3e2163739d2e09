using Skyport.Tests.CloudStorage;

namespace Skyport.Tests.Web;

/// <summary>
/// The web UI's test classes share one test cloud, server and browser (the S3 fixture's server is also configured
/// for the OIDC provider): one more cloud per class would only add start-up time on a busy machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<S3Fixture>, ICollectionFixture<Browser>
{
    public const string Name = "Web UI";
}
