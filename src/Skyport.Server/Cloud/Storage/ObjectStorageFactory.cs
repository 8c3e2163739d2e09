using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Cloud.Storage;

/// <summary>Opens the store behind a set of credentials. One implementation of <see cref="IObjectStorage"/> per provider.</summary>
public sealed class ObjectStorageFactory(IOptions<TransferOptions> options)
{
    public IObjectStorage Open(CloudCredentials credentials) => credentials switch
    {
        AwsCloudCredentials aws => new S3ObjectStorage(S3ClientFactory.Create(aws, options.Value.PartConcurrency * 2), options.Value),
        _ => throw new RequestParameterInvalidException($"Transfers with provider '{credentials.Provider}' are not supported yet."),
    };
}
