using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Skyport.Server.Data;

namespace Skyport.Migrations.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without starting the server (no connection is opened).</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<SkyportDbContext>
{
    public SkyportDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SkyportDbContext>();
        DataExtensions.UsePostgres(options, "Host=localhost;Database=skyport_design_time");
        return new SkyportDbContext(options.Options);
    }
}
