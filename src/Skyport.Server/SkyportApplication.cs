using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud;
using Skyport.Server.Configuration;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Identity;
using Skyport.Server.Jobs;
using Skyport.Server.Operations;
using Skyport.Server.Operations.Limits;
using Skyport.Server.Operations.Proxies;
using Skyport.Server.Operations.RequestLogging;
using Skyport.Server.ServerInfo;
using Skyport.Server.Uploads;
using Skyport.Server.Users;
using Skyport.Server.Web;

namespace Skyport.Server;

/// <summary>The server's table of contents: which features it has and how a request reaches them.</summary>
public static class SkyportApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var app = CreateBuilder(args, configure).Build();
        app.UseReverseProxies();
        app.UseRequestLogging();
        app.UseExceptionHandler();
        app.UseStatusCodePages(GalaxyStatusCodePages.WriteAsync);
        app.UseJsonBodyLimit();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseWeb();
        app.MapOperations();
        app.MapServerInfo();
        app.MapUsers();
        app.MapHistories();
        app.MapDatasets();
        app.MapTusUploads();
        app.MapTools();
        app.MapJobs();
        app.MapAuthnz();
        app.MapCloudAuthz();
        app.MapCloudStorage();
        app.MapWeb();
        return app;
    }

    /// <summary>A job worker (<c>skyport worker</c>): every service, no API; only a health route answers.</summary>
    public static WebApplication BuildWorker(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var app = CreateBuilder(args, configure).Build();
        app.MapWorkerHealth();
        return app;
    }

    private static WebApplicationBuilder CreateBuilder(string[] args, Action<WebApplicationBuilder>? configure)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:8080");
        }
        builder.AddSkyportCore();
        builder.AddSkyportData();
        builder.AddUsers();
        builder.AddIdentity();
        builder.AddCloud();
        builder.AddHistoriesAndDatasets();
        builder.AddJobs();
        builder.AddUploads();
        builder.AddWeb();
        builder.AddOperations();
        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>Configuration, wire conventions and the error envelope shared by every feature.</summary>
    private static WebApplicationBuilder AddSkyportCore(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<SkyportOptions>(SkyportOptions.Section, rejectUnknownKeys: false);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DataDirectory>();
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<SkyportOptions>>().Value;
            var secret = string.IsNullOrEmpty(options.IdSecret)
                ? services.GetRequiredService<SharedSecrets>().GetOrCreate("id_secret", 32)
                : Convert.FromHexString(options.IdSecret);
            return new IdEncoder(secret);
        });
        builder.Services.Configure<JsonOptions>(o => GalaxyJson.Configure(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<GalaxyExceptionHandler>();
        builder.Services.AddProblemDetails();
        return builder;
    }

    /// <summary>Migrates the database and, on the very first start, creates the administrator.</summary>
    public static async Task<CreatedUser?> PrepareAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        await app.Services.MigrateAtStartAsync(cancellationToken);
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FirstStartBootstrap>().RunAsync(cancellationToken);
    }
}
