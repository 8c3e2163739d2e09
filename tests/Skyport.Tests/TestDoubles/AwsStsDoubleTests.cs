using System.Net;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

/// <summary>The STS double, driven through the real AWSSDK.SecurityToken client with anonymous credentials.</summary>
public sealed class AwsStsDoubleTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>, IDisposable
{
    private const string Audience = "skyport";
    private readonly Cloud _cloud = fixture.Cloud;
    private readonly AmazonSecurityTokenServiceClient _sts = new(new AnonymousAWSCredentials(),
        new AmazonSecurityTokenServiceConfig { ServiceURL = fixture.Cloud.Sts.ToString(), MaxErrorRetry = 0 });

    public void Dispose() => _sts.Dispose();

    private async Task<string> NewRoleAsync(string? subject = null, int maxSessionSeconds = 3600)
    {
        var arn = $"arn:aws:iam::123456789012:role/skyport-{Guid.NewGuid():N}";
        await _cloud.RegisterAwsRoleAsync(new AwsRole(arn, _cloud.Issuer, Audience, subject, maxSessionSeconds));
        return arn;
    }

    private Task<AssumeRoleWithWebIdentityResponse> AssumeAsync(string roleArn, string token, int? duration = 900) =>
        _sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = roleArn, RoleSessionName = "skyport-test", WebIdentityToken = token, DurationSeconds = duration,
        });

    [Fact]
    public async Task AssumeRole_WithTrustedToken_ReturnsTemporaryCredentials()
    {
        var arn = await NewRoleAsync(subject: "alice");
        var token = (await LoginAsAsync("alice")).IdToken;

        var response = await AssumeAsync(arn, token, duration: 1800);

        Assert.Equal(HttpStatusCode.OK, response.HttpStatusCode);
        Assert.StartsWith("ASIA", response.Credentials.AccessKeyId);
        Assert.Equal(20, response.Credentials.AccessKeyId.Length);
        Assert.Equal(40, response.Credentials.SecretAccessKey.Length);
        Assert.False(string.IsNullOrEmpty(response.Credentials.SessionToken));
        Assert.InRange(response.Credentials.Expiration!.Value.ToUniversalTime(), DateTime.UtcNow.AddSeconds(1700), DateTime.UtcNow.AddSeconds(1810));
        Assert.Equal("alice", response.SubjectFromWebIdentityToken);
        Assert.Equal(Audience, response.Audience);
        Assert.Equal(_cloud.Issuer, response.Provider);
        Assert.Equal($"arn:aws:sts::123456789012:assumed-role/{arn.Split('/')[^1]}/skyport-test", response.AssumedRoleUser.Arn);
        Assert.EndsWith(":skyport-test", response.AssumedRoleUser.AssumedRoleId);
        Assert.False(string.IsNullOrEmpty(response.ResponseMetadata.RequestId));
        Assert.Contains(await _cloud.IssuedAwsKeysAsync(), k => k.AccessKeyId == response.Credentials.AccessKeyId && k.Subject == "alice" && k.RoleArn == arn);
    }

    [Fact]
    public async Task AssumeRole_WithTamperedSignature_FailsWithInvalidIdentityToken()
    {
        var arn = await NewRoleAsync();
        var token = Cloud.TamperSignature(await _cloud.MintIdTokenAsync());

        var error = await Assert.ThrowsAsync<InvalidIdentityTokenException>(() => AssumeAsync(arn, token));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("InvalidIdentityToken", error.ErrorCode);
    }

    [Fact]
    public async Task AssumeRole_WithGarbageToken_FailsWithInvalidIdentityToken()
    {
        var arn = await NewRoleAsync();

        var error = await Assert.ThrowsAsync<InvalidIdentityTokenException>(() => AssumeAsync(arn, "not-a-jwt"));

        Assert.Contains("not a valid JWT", error.Message);
    }

    [Fact]
    public async Task AssumeRole_WithWrongAudience_FailsWithIncorrectTokenAudience()
    {
        var arn = await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync(new OidcClaims(Aud: "some-other-client"));

        var error = await Assert.ThrowsAsync<InvalidIdentityTokenException>(() => AssumeAsync(arn, token));

        Assert.Equal("Incorrect token audience", error.Message);
    }

    [Fact]
    public async Task AssumeRole_WithExpiredToken_FailsWithExpiredTokenException()
    {
        var arn = await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync(new OidcClaims(ExpiresIn: -60));

        var error = await Assert.ThrowsAsync<ExpiredTokenException>(() => AssumeAsync(arn, token));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.StartsWith("Token expired: current date/time", error.Message);
    }

    [Fact]
    public async Task AssumeRole_WithTokenNotYetValid_FailsWithIdpRejectedClaim()
    {
        var arn = await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync(new OidcClaims(NbfOffset: 600));

        var error = await Assert.ThrowsAsync<IDPRejectedClaimException>(() => AssumeAsync(arn, token));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Fact]
    public async Task AssumeRole_WithUntrustedIssuer_FailsWithNoOpenIdConnectProvider()
    {
        var arn = await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync(new OidcClaims(Iss: "https://untrusted.example.org"));

        var error = await Assert.ThrowsAsync<InvalidIdentityTokenException>(() => AssumeAsync(arn, token));

        Assert.Equal("No OpenIDConnect provider found in your account for https://untrusted.example.org", error.Message);
    }

    [Fact]
    public async Task AssumeRole_WithSubjectOutsideTrustPolicy_FailsWithAccessDenied()
    {
        var arn = await NewRoleAsync(subject: "alice");
        var token = await _cloud.MintIdTokenAsync(new OidcClaims(Sub: "mallory"));

        var error = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => AssumeAsync(arn, token));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("AccessDenied", error.ErrorCode);
        Assert.Equal("Not authorized to perform sts:AssumeRoleWithWebIdentity", error.Message);
    }

    [Fact]
    public async Task AssumeRole_OfUnknownRole_FailsWithAccessDenied()
    {
        await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync();

        var error = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => AssumeAsync("arn:aws:iam::123456789012:role/nobody", token));

        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.StatusCode, error.ErrorCode));
    }

    [Fact]
    public async Task AssumeRole_WithMalformedRoleArn_FailsWithValidationError()
    {
        await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync();

        var error = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => AssumeAsync("arn:aws:s3:::not-a-role-at-all", token));

        Assert.Equal((HttpStatusCode.BadRequest, "ValidationError"), (error.StatusCode, error.ErrorCode));
        Assert.Equal("Request ARN is invalid", error.Message);
    }

    [Theory]
    [InlineData(899, "greater than or equal to 900")]
    [InlineData(43201, "less than or equal to 43200")]
    public async Task AssumeRole_WithDurationOutsideStsLimits_FailsWithValidationError(int duration, string constraint)
    {
        var arn = await NewRoleAsync();
        var token = await _cloud.MintIdTokenAsync();

        var error = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => AssumeAsync(arn, token, duration));

        Assert.Equal("ValidationError", error.ErrorCode);
        Assert.Contains($"'durationSeconds' failed to satisfy constraint: Member must have value {constraint}", error.Message);
    }

    [Fact]
    public async Task AssumeRole_WithDurationAboveRoleMaximum_FailsWithValidationError()
    {
        var arn = await NewRoleAsync(maxSessionSeconds: 3600);
        var token = await _cloud.MintIdTokenAsync();

        var error = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => AssumeAsync(arn, token, 7200));

        Assert.Equal("ValidationError", error.ErrorCode);
        Assert.Equal("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", error.Message);
    }

    [Fact]
    public async Task AssumeRole_WithoutDuration_DefaultsToOneHour()
    {
        var arn = await NewRoleAsync();

        var response = await AssumeAsync(arn, await _cloud.MintIdTokenAsync(), duration: null);

        Assert.InRange(response.Credentials.Expiration!.Value.ToUniversalTime(), DateTime.UtcNow.AddSeconds(3500), DateTime.UtcNow.AddSeconds(3610));
    }

    private async Task<OidcTokens> LoginAsAsync(string subject)
    {
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: subject));
        return await _cloud.LoginAsync();
    }
}
