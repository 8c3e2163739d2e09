using System.Runtime.CompilerServices;
using Amazon.S3;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// Opens the store behind a set of credentials. One implementation of <see cref="IObjectStorage"/> per provider.
/// Provider clients (and their connection pools) live as long as the credentials they were made for, so the
/// many jobs of one authorization reuse connections instead of opening new ones per object.
/// </summary>
public sealed class ObjectStorageFactory(IOptions<TransferOptions> options)
{
    private readonly ConditionalWeakTable<AwsCloudCredentials, IAmazonS3> _s3Clients = new();

    /// <param name="purpose">Attributed to any credential issuance the store's calls cause (see <see cref="CredentialPurpose"/>).</param>
    public IObjectStorage Open(CloudCredentials credentials, string purpose) => new PurposeScopedStorage(credentials switch
    {
        AwsCloudCredentials aws => new S3ObjectStorage(
            _s3Clients.GetValue(aws, key => S3ClientFactory.Create(key, options.Value.PartConcurrency * 2)), options.Value),
        _ => throw new RequestParameterInvalidException($"Transfers with provider '{credentials.Provider}' are not supported yet."),
    }, purpose);
}
