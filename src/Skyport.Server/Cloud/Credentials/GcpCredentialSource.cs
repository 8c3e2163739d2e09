using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Authz;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// Google Cloud: workload identity federation (the login's id token exchanged at Google STS, then a
/// service account impersonated through IAM), or for compatibility a service-account key.
/// </summary>
public sealed class GcpCredentialSource(IOptions<CloudOptions> options, IssuanceRecorder recorder) : ICloudCredentialSource
{
    public const string StorageScope = "https://www.googleapis.com/auth/devstorage.read_write";
    private const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

    public string Provider => "gcp";

    public CloudCredentials Create(AuthzConfig config, CredentialContext context, Func<CancellationToken, Task<string>> idToken)
    {
        var settings = options.Value.Gcp;
        string? lastSubjectToken = null;
        ICredential credential;
        if (config["audience"] is { } audience)
        {
            var initializer = new ProgrammaticExternalAccountCredential.Initializer(settings.StsTokenUrl, audience, JwtTokenType,
                new SubjectTokenProvider(async ct => lastSubjectToken = await idToken(ct)))
            {
                Scopes = [StorageScope],
            };
            if (config["service_account_email"] is { } serviceAccount)
            {
                initializer.ServiceAccountImpersonationUrl =
                    $"{settings.IamUrl.TrimEnd('/')}/v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken";
            }
            credential = new ProgrammaticExternalAccountCredential(initializer);
        }
        else
        {
            var tokenUri = config["token_uri"] ?? GoogleAuthConsts.OidcTokenUrl;
            credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(config.Required("client_email"), tokenUri)
            {
                Scopes = [StorageScope],
                KeyId = config["private_key_id"],
            }.FromPrivateKey(config.Required("private_key")));
        }

        string? lastToken = null;
        async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
        {
            string token;
            try
            {
                token = await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
            }
            catch (TokenResponseException e)
            {
                var message = Explain(e, config, lastSubjectToken is null ? null : IdTokenClaims.Read(lastSubjectToken));
                await recorder.RecordAsync(context, "gcp", null, message);
                throw new CloudCredentialException(message, e);
            }
            if (token != lastToken)
            {
                lastToken = token;
                var current = (credential as ServiceCredential)?.Token;
                DateTime? expires = current?.ExpiresInSeconds is { } seconds ? current.IssuedUtc.AddSeconds(seconds) : null;
                await recorder.RecordAsync(context, "gcp", expires, null);
            }
            return token;
        }

        return new GcpCloudCredentials(GetAccessTokenAsync, config["project_id"]);
    }

    public async Task<DateTime?> ProbeAsync(CloudCredentials credentials, CancellationToken cancellationToken)
    {
        await ((GcpCloudCredentials)credentials).GetAccessTokenAsync(cancellationToken);
        return null;
    }

    private static string Explain(TokenResponseException e, AuthzConfig config, IdTokenClaims? claims)
    {
        var reason = $"{e.Error?.Error}: {e.Error?.ErrorDescription}".Trim(' ', ':');
        if (claims is null)
        {
            return $"Google refused the service account key of {config["client_email"]}: {reason}.";
        }
        return $"Google refused the token exchange for {config["audience"]}: {reason}. Check that the workload identity pool provider trusts " +
               $"issuer {claims.Issuer} with allowed audience {claims.Audience}" +
               (config["service_account_email"] is { } sa ? $", and that the federated principal (subject {claims.Subject}) may impersonate {sa}." : ".");
    }

    private sealed class SubjectTokenProvider(Func<CancellationToken, Task<string>> idToken) : ProgrammaticExternalAccountCredential.ISubjectTokenProvider
    {
        public Task<string> GetSubjectTokenAsync(ProgrammaticExternalAccountCredential caller, CancellationToken taskCancellationToken) =>
            idToken(taskCancellationToken);
    }
}
