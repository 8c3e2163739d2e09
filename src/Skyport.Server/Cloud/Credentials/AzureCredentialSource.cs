using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Authz;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// Azure: an Entra app's token for Azure Storage, obtained keylessly (the login's id token is the client
/// assertion of a federated credential on the app) or with the app's client secret.
/// </summary>
public sealed class AzureCredentialSource(IOptions<CloudOptions> options, IssuanceRecorder recorder) : ICloudCredentialSource
{
    public const string StorageScope = "https://storage.azure.com/.default";

    public string Provider => "azure";

    public CloudCredentials Create(AuthzConfig config, CredentialContext context, Func<CancellationToken, Task<string>> idToken)
    {
        var tenant = config.Required("tenant_id");
        var client = config.Required("client_id");
        var settings = options.Value.Azure;
        var authority = new Uri(config["authority_host"] ?? settings.AuthorityHost);
        string? lastAssertion = null;
        TokenCredential credential = config["client_secret"] is { } secret
            ? new ClientSecretCredential(tenant, client, secret, new ClientSecretCredentialOptions
            {
                AuthorityHost = authority,
                DisableInstanceDiscovery = settings.DisableInstanceDiscovery,
            })
            : new ClientAssertionCredential(tenant, client, async ct => lastAssertion = await idToken(ct), new ClientAssertionCredentialOptions
            {
                AuthorityHost = authority,
                DisableInstanceDiscovery = settings.DisableInstanceDiscovery,
            });
        var accountUrl = new Uri(config["account_url"] ?? $"https://{config.Required("account_name")}.blob.core.windows.net");
        var explain = (Exception e) => Explain(e, tenant, client, lastAssertion is null ? null : IdTokenClaims.Read(lastAssertion));
        return new AzureCloudCredentials(new RecordingCredential(credential, context, recorder, explain), accountUrl);
    }

    public async Task<DateTime?> ProbeAsync(CloudCredentials credentials, CancellationToken cancellationToken)
    {
        var token = await ((AzureCloudCredentials)credentials).Credential.GetTokenAsync(new TokenRequestContext([StorageScope]), cancellationToken);
        return token.ExpiresOn.UtcDateTime;
    }

    private static string Explain(Exception e, string tenant, string client, IdTokenClaims? claims)
    {
        // Azure.Identity wraps MSAL's exception, which carries Entra's AADSTS explanation.
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            messages.AddRange(current.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        var reason = (messages.FirstOrDefault(l => l.Contains("AADSTS", StringComparison.Ordinal)) ?? messages.FirstOrDefault() ?? "no reason given").TrimEnd('.');
        var federation = claims is null
            ? ""
            : $" For keyless access the app needs a federated credential with issuer {claims.Issuer}, subject {claims.Subject} and audience {claims.Audience}.";
        return $"Azure refused a storage token for app {client} in tenant {tenant}: {reason}.{federation}";
    }

    /// <summary>Records each new token (Azure.Identity caches and renews them itself) and explains refusals.</summary>
    private sealed class RecordingCredential(TokenCredential inner, CredentialContext context, IssuanceRecorder recorder, Func<Exception, string> explain)
        : TokenCredential
    {
        private DateTimeOffset _lastExpiry;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            AccessToken token;
            try
            {
                token = await inner.GetTokenAsync(requestContext, cancellationToken);
            }
            catch (Exception e) when (e is AuthenticationFailedException or CredentialUnavailableException)
            {
                var message = explain(e);
                await recorder.RecordAsync(context, "azure", null, message);
                throw new CloudCredentialException(message, e);
            }
            if (token.ExpiresOn != _lastExpiry)
            {
                _lastExpiry = token.ExpiresOn;
                await recorder.RecordAsync(context, "azure", token.ExpiresOn.UtcDateTime, null);
            }
            return token;
        }
    }
}
