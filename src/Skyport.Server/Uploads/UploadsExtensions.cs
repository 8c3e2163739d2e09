using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Datasets;
using Skyport.Server.Datatypes;
using Skyport.Server.Jobs;

namespace Skyport.Server.Uploads;

public static class UploadsExtensions
{
    public static WebApplicationBuilder AddUploads(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<UploadOptions>(UploadOptions.Section);
        builder.Services.AddSingleton<DatatypeRegistry>();
        builder.Services.AddSingleton<DatatypeSniffer>();
        builder.Services.AddScoped<DatasetImporter>();
        builder.Services.AddScoped<UploadSessions>();
        builder.Services.AddSingleton<UploadHashes>();
        builder.Services.AddScoped<UploadItemFactory>();
        builder.Services.AddScoped<FetchRequestParser>();
        builder.Services.AddScoped<Upload1RequestParser>();
        builder.Services.AddScoped<UploadQueue>();
        builder.Services.AddScoped<ToolsService>();
        builder.Services.AddScoped<UrlFetcher>();
        builder.Services.AddHttpClient(UrlFetcher.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(services => UrlFetcher.CreateHandler(services.GetRequiredService<IOptions<UploadOptions>>()));
        builder.Services.AddSingleton<StorageSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StorageSweeper>());
        builder.Services.AddJobHandler<UploadJobHandler>(ToolsService.FetchToolId);
        builder.Services.AddJobHandler<UploadJobHandler>(Upload1RequestParser.ToolId);
        return builder;
    }
}
