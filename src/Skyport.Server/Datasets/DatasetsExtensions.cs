using Skyport.Server.Datasets.Storage;
using Skyport.Server.Histories;

namespace Skyport.Server.Datasets;

public static class DatasetsExtensions
{
    public static WebApplicationBuilder AddHistoriesAndDatasets(this WebApplicationBuilder builder)
    {
        builder.Services.AddDatasetStorage();
        builder.Services.AddScoped<HistoriesService>();
        builder.Services.AddScoped<DatasetsService>();
        builder.Services.AddScoped<DatasetJobQueue>();
        return builder;
    }
}
