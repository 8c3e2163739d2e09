using Amazon.Runtime;
using Azure.Core;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// Credentials for one authorization, as each provider's storage library takes them. Every variant renews
/// itself before expiry (through the broker), so a transfer longer than one credential lifetime keeps going.
/// </summary>
public abstract record CloudCredentials(string Provider);

/// <param name="ServiceUrl">An S3-compatible endpoint, or null for AWS itself.</param>
public sealed record AwsCloudCredentials(AWSCredentials Credentials, string Region, string? ServiceUrl) : CloudCredentials("aws");

public sealed record AzureCloudCredentials(TokenCredential Credential, Uri AccountUrl) : CloudCredentials("azure");

/// <param name="GetAccessTokenAsync">An OAuth access token for Google Cloud Storage, renewed as needed.</param>
public sealed record GcpCloudCredentials(Func<CancellationToken, Task<string>> GetAccessTokenAsync, string? ProjectId) : CloudCredentials("gcp");

/// <summary>The authorization and caller the broker works for, and what for.</summary>
public sealed record CredentialContext(long UserId, long AuthzId, long? IdentityId, string Purpose);

/// <summary>A provider refused to issue credentials: the message explains the likely misconfiguration.</summary>
public sealed class CloudCredentialException(string message, Exception? inner = null)
    : Galaxy.GalaxyException(message, StatusCodes.Status401Unauthorized, 401001)
{
    public Exception? Cause { get; } = inner;
}
