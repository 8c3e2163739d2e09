using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Server.Configuration;

namespace Skyport.Server.Datasets.Storage;

public static class DatasetStorageExtensions
{
    /// <summary>The staging area, the store chosen by <c>Skyport:DatasetStorage:Kind</c>, and its check at start.</summary>
    public static IServiceCollection AddDatasetStorage(this IServiceCollection services)
    {
        services.AddValidatedOptions<DatasetStorageOptions>(DatasetStorageOptions.Section);
        services.AddSingleton<DatasetStorage>();
        services.AddSingleton<IDatasetStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DatasetStorageOptions>>().Value;
            return options.Kind == DatasetStorageOptions.S3
                ? new S3DatasetStore(CreateClient(options), options, sp.GetRequiredService<IOptions<TransferOptions>>().Value,
                    sp.GetRequiredService<DatasetStorage>(), sp.GetRequiredService<ILogger<S3DatasetStore>>())
                : new LocalDatasetStore(sp.GetRequiredService<DataDirectory>());
        });
        services.AddHostedService<DatasetStoreReadiness>();
        return services;
    }

    private static S3Connection CreateClient(DatasetStorageOptions options)
    {
        AWSCredentials credentials;
        if (!string.IsNullOrEmpty(options.AccessKeyId))
        {
            credentials = new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey);
        }
        else
        {
            try
            {
                credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials();
            }
            catch (AmazonClientException e)
            {
                throw new InvalidOperationException($"Dataset storage configuration: {DatasetStorageOptions.Section}:AccessKeyId and SecretAccessKey are not set "
                    + $"and the AWS SDK found no credentials in the environment ({e.Message}).", e);
            }
        }
        return S3ClientFactory.Connect(new AwsCloudCredentials(credentials, options.Region, string.IsNullOrEmpty(options.ServiceUrl) ? null : options.ServiceUrl),
            options.MaxConnections, options.ForcePathStyle);
    }
}
