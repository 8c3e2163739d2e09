using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Datasets;
using Skyport.Server.Identity;
using Skyport.Server.Histories;
using Skyport.Server.Jobs;
using Skyport.Server.Uploads;
using Skyport.Server.Users;

namespace Skyport.Server.Data;

public sealed class SkyportDbContext(DbContextOptions<SkyportDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<History> Histories => Set<History>();
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<UploadSession> UploadSessions => Set<UploadSession>();
    public DbSet<UserIdentity> UserIdentities => Set<UserIdentity>();
    public DbSet<CloudAuthz> CloudAuthzs => Set<CloudAuthz>();
    public DbSet<CredentialIssuance> CredentialIssuances => Set<CredentialIssuance>();
    public DbSet<Setting> Settings => Set<Setting>();
    /// <summary>The Data Protection key ring when on PostgreSQL (SQLite keeps it in the data folder).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SkyportDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTime>().HaveConversion<SqliteTimestampConverter>();
        }
        else
        {
            configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        }
        configurationBuilder.Properties<DatasetState>().HaveConversion<string>();
        configurationBuilder.Properties<JobState>().HaveConversion<string>();
    }

    /// <summary>Every timestamp is UTC; a provider that forgets the kind gets it back on read (SQLite: <see cref="SqliteTimestampConverter"/>).</summary>
    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
