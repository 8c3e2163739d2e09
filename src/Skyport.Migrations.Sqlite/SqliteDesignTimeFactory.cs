using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Skyport.Server.Data;

namespace Skyport.Migrations.Sqlite;

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without starting the server.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SkyportDbContext>
{
    public SkyportDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SkyportDbContext>();
        DataExtensions.UseSqlite(options, "Data Source=design-time.db");
        return new SkyportDbContext(options.Options);
    }
}
