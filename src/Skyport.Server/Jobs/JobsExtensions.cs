using Skyport.Server.Configuration;

namespace Skyport.Server.Jobs;

public static class JobsExtensions
{
    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<JobsOptions>(JobsOptions.Section);
        builder.Services.AddSingleton<JobSignal>();
        builder.Services.AddSingleton<RunningJobs>();
        builder.Services.AddSingleton<JobRunner>();
        builder.Services.AddScoped<JobCancellation>();
        builder.Services.AddScoped<JobsService>();
        builder.Services.AddSingleton<JobClaims>();
        builder.Services.AddSingleton<JobWorkerPool>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobWorkerPool>());
        builder.Services.AddHostedService<PostgresJobWakeups>();
        return builder;
    }

    /// <summary>Registers the work behind a tool id (one DI scope per attempt).</summary>
    /// <param name="batchable">
    /// Its small jobs (<see cref="Job.BytesTotal"/> known and at most <see cref="JobsOptions.BatchJobMaxBytes"/>) may be
    /// claimed together and run one after another in one scope (<see cref="JobClaims"/>): the handler then must not rely on
    /// its scope being new, only on its database context having no tracked entities.
    /// </param>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string toolId, bool batchable = false)
        where THandler : class, IJobHandler
    {
        if (batchable)
        {
            services.AddSingleton(new BatchableTool(toolId));
        }
        return services.AddKeyedScoped<IJobHandler, THandler>(toolId);
    }

    /// <summary>Registers what undoes a tool's unfinished work when its job is cancelled while no worker runs it.</summary>
    public static IServiceCollection AddJobCleanup<TCleanup>(this IServiceCollection services, string toolId)
        where TCleanup : class, IJobCleanup =>
        services.AddKeyedScoped<IJobCleanup, TCleanup>(toolId);
}
