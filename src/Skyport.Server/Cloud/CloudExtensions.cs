using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Configuration;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud;

public static class CloudExtensions
{
    public static WebApplicationBuilder AddCloud(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CloudOptions>(CloudOptions.Section);
        builder.Services.AddMemoryCache();
        builder.Services.AddScoped<CloudAuthzService>();
        builder.Services.AddScoped<CredentialsService>();
        builder.Services.AddSingleton<IssuanceRecorder>();
        builder.Services.AddSingleton<CredentialBroker>();
        builder.Services.AddSingleton<ICloudCredentialSource, AwsCredentialSource>();
        builder.Services.AddSingleton<ICloudCredentialSource, AzureCredentialSource>();
        builder.Services.AddSingleton<ICloudCredentialSource, GcpCredentialSource>();
        builder.Services.AddValidatedOptions<TransferOptions>(TransferOptions.Section);
        builder.Services.AddSingleton<ObjectStorageFactory>();
        builder.Services.AddSingleton<ObjectDownloader>();
        builder.Services.AddScoped<CloudTransfers>();
        builder.Services.AddScoped<CloudGetService>();
        builder.Services.AddScoped<CloudSendService>();
        builder.Services.AddScoped<CloudListService>();
        builder.Services.AddJobHandler<CloudGetJobHandler>(CloudGetService.ToolId, batchable: true);
        builder.Services.AddJobHandler<CloudSendJobHandler>(CloudSendService.ToolId, batchable: true);
        builder.Services.AddJobCleanup<CloudSendCleanup>(CloudSendService.ToolId);
        return builder;
    }
}
