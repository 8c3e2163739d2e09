using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Configuration;

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
        return builder;
    }
}
