using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Authz;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>AWS (and S3-compatible stores with STS): <c>AssumeRoleWithWebIdentity</c> with the login's fresh id token.</summary>
public sealed class AwsCredentialSource(IOptions<CloudOptions> options, IssuanceRecorder recorder) : ICloudCredentialSource
{
    public string Provider => "aws";

    public CloudCredentials Create(AuthzConfig config, CredentialContext context, Func<CancellationToken, Task<string>> idToken)
    {
        var region = config["region"] ?? options.Value.Aws.Region;
        var sts = config["sts_endpoint"] ?? options.Value.Aws.StsEndpoint;
        var credentials = new WebIdentityCredentials(config, region, sts, context, idToken, recorder);
        return new AwsCloudCredentials(credentials, region, config["endpoint"]);
    }

    public async Task<DateTime?> ProbeAsync(CloudCredentials credentials, CancellationToken cancellationToken)
    {
        var aws = (AwsCloudCredentials)credentials;
        await aws.Credentials.GetCredentialsAsync();
        return ((WebIdentityCredentials)aws.Credentials).GrantedExpiration;
    }

    /// <summary>
    /// Temporary keys from STS, renewed by the SDK in the background when a sixth of their granted lifetime remains
    /// (<c>PreemptExpiryTime</c>), and at the latest when they are within <c>ExpirationBuffer</c> of expiring.
    /// </summary>
    private sealed class WebIdentityCredentials : RefreshingAWSCredentials
    {
        private readonly AuthzConfig _config;
        private readonly string _region;
        private readonly string? _stsEndpoint;
        private readonly CredentialContext _context;
        private readonly Func<CancellationToken, Task<string>> _idToken;
        private readonly IssuanceRecorder _recorder;
        private readonly int _ttl;
        private static readonly TimeSpan DefaultExpirationBuffer = TimeSpan.FromMinutes(1);

        public WebIdentityCredentials(AuthzConfig config, string region, string? stsEndpoint, CredentialContext context,
            Func<CancellationToken, Task<string>> idToken, IssuanceRecorder recorder)
        {
            _config = config;
            _region = region;
            _stsEndpoint = stsEndpoint;
            _context = context;
            _idToken = idToken;
            _recorder = recorder;
            _ttl = config.Int("token_ttl") ?? 3600;
            PreemptExpiryTime = TimeSpan.FromSeconds(_ttl / 6.0);
        }

        /// <summary>When the current keys really expire (the SDK's <c>Expiration</c> is earlier by its buffer).</summary>
        public DateTime? GrantedExpiration { get; private set; }

        protected override CredentialsRefreshState GenerateNewCredentials() =>
            GenerateNewCredentialsAsync().GetAwaiter().GetResult();

        protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
        {
            var token = await _idToken(CancellationToken.None);
            var stsConfig = new AmazonSecurityTokenServiceConfig();
            if (_stsEndpoint is not null)
            {
                stsConfig.ServiceURL = _stsEndpoint;
                stsConfig.AuthenticationRegion = _region;
            }
            else
            {
                stsConfig.RegionEndpoint = RegionEndpoint.GetBySystemName(_region);
            }
            using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), stsConfig);
            var roleArn = _config.Required("role_arn");
            try
            {
                var response = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
                {
                    RoleArn = roleArn,
                    RoleSessionName = _config["role_session_name"] ?? $"skyport-{_context.UserId}-{_context.AuthzId}",
                    WebIdentityToken = token,
                    DurationSeconds = _ttl,
                });
                var expiration = response.Credentials.Expiration?.ToUniversalTime() ?? DateTime.UtcNow.AddSeconds(_ttl);
                // Renew when a sixth of the lifetime STS actually granted remains (it may grant less than asked),
                // so long transfers never sign with a key about to expire.
                var granted = expiration - DateTime.UtcNow;
                PreemptExpiryTime = granted / 6;
                // The SDK treats keys as expired a fixed minute early. Keys granted for less than that (S3-compatible STS
                // services may grant a few minutes or less) then counted as expired on arrival: every signing fetched new
                // ones, and one request carried the access key of one issuance and the session token of another.
                ExpirationBuffer = granted / 12 < DefaultExpirationBuffer ? granted / 12 : DefaultExpirationBuffer;
                GrantedExpiration = expiration;
                await _recorder.RecordAsync(_context, "aws", expiration, null);
                return new CredentialsRefreshState(
                    new ImmutableCredentials(response.Credentials.AccessKeyId, response.Credentials.SecretAccessKey, response.Credentials.SessionToken),
                    expiration);
            }
            catch (AmazonSecurityTokenServiceException e)
            {
                var explained = Explain(e, roleArn, IdTokenClaims.Read(token));
                await _recorder.RecordAsync(_context, "aws", null, explained);
                throw new CloudCredentialException(explained, e);
            }
        }

        private static string Explain(AmazonSecurityTokenServiceException e, string roleArn, IdTokenClaims claims) => e.ErrorCode switch
        {
            "AccessDenied" =>
                $"AWS refused to let this login assume {roleArn} ({e.Message}). Check the role's trust policy: it must allow " +
                $"sts:AssumeRoleWithWebIdentity for the federated principal of {claims.Issuer}, with audience (aud) {claims.Audience}" +
                $" and, if it restricts the subject, sub {claims.Subject}.",
            "InvalidIdentityToken" or "IDPRejectedClaim" =>
                $"AWS did not accept the login's id token ({e.ErrorCode}: {e.Message}). Check that {claims.Issuer} is registered as an " +
                $"IAM OpenID Connect identity provider whose audience list includes {claims.Audience}.",
            "ExpiredTokenException" => $"AWS says the login's id token has expired ({e.Message}); log in again.",
            _ => $"AWS STS refused AssumeRoleWithWebIdentity for {roleArn}: {e.ErrorCode}: {e.Message}",
        };
    }
}
