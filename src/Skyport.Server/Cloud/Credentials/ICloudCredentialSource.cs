using Skyport.Server.Cloud.Authz;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>How one provider turns an authorization into credentials. One implementation per cloud.</summary>
public interface ICloudCredentialSource
{
    string Provider { get; }

    /// <summary>Builds self-renewing credentials; <paramref name="idToken"/> yields the login's fresh id token on demand.</summary>
    CloudCredentials Create(AuthzConfig config, CredentialContext context, Func<CancellationToken, Task<string>> idToken);

    /// <summary>Obtains a credential now (used to test an authorization); returns its expiry.</summary>
    Task<DateTime?> ProbeAsync(CloudCredentials credentials, CancellationToken cancellationToken);
}
