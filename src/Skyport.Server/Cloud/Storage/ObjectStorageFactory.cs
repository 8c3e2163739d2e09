using System.Runtime.CompilerServices;
using Azure.Storage.Blobs;
using Google.Cloud.Storage.V1;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.Azure;
using Skyport.Server.Cloud.Storage.Gcs;
using Skyport.Server.Cloud.Storage.S3;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// Opens the store behind a set of credentials. One implementation of <see cref="IObjectStorage"/> per provider.
/// Provider clients (and their connection pools) live as long as the credentials they were made for, so the
/// many jobs of one authorization reuse connections instead of opening new ones per object.
/// </summary>
public sealed class ObjectStorageFactory(IOptions<TransferOptions> transfers, IOptions<CloudOptions> cloud)
{
    private readonly ConditionalWeakTable<CloudCredentials, object> _clients = new();

    /// <param name="purpose">Attributed to any credential issuance the store's calls cause (see <see cref="CredentialPurpose"/>).</param>
    public IObjectStorage Open(CloudCredentials credentials, string purpose)
    {
        var client = _clients.GetValue(credentials, CreateClient);
        IObjectStorage storage = client switch
        {
            S3Connection s3 => new S3ObjectStorage(s3.Client, s3.Presigner, transfers.Value),
            BlobServiceClient blobs => new AzureBlobStorage(blobs, transfers.Value),
            StorageClient gcs => new GcsObjectStorage(gcs, cloud.Value.Gcp.UploadChunkMiB << 20),
            _ => throw new InvalidOperationException($"No store for {credentials.Provider}."),
        };
        return new PurposeScopedStorage(storage, purpose);
    }

    private object CreateClient(CloudCredentials credentials) => credentials switch
    {
        AwsCloudCredentials aws => S3ClientFactory.Connect(aws, transfers.Value.PartConcurrency * 2),
        AzureCloudCredentials azure => new BlobServiceClient(azure.AccountUrl, azure.Credential),
        GcpCloudCredentials gcp => new StorageClientBuilder
        {
            Credential = new BrokeredGoogleCredential(gcp.GetAccessTokenAsync),
            BaseUri = cloud.Value.Gcp.StorageUrl,
        }.Build(),
        _ => throw new InvalidOperationException($"Unknown credentials for {credentials.Provider}."),
    };
}
