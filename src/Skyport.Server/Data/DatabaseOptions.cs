using Skyport.Server.Configuration;

namespace Skyport.Server.Data;

public sealed class DatabaseOptions : IValidatedOptions
{
    public const string Section = "Skyport:Database";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default, embedded) or <c>postgres</c> (several servers and workers on one database).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>SQLite: empty means <c>skyport.db</c> in the data folder. PostgreSQL: required (Npgsql syntax).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending migrations when a server or worker starts; off when an administrator runs <c>skyport migrate</c>.</summary>
    public bool MigrateAtStart { get; set; } = true;

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase)
        || string.Equals(Provider, "postgresql", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<string> Validate(string section)
    {
        if (!IsPostgres && !string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{section}:Provider must be 'sqlite' or 'postgres' (got '{Provider}').";
        }
        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return $"{section}:ConnectionString is required with PostgreSQL (e.g. 'Host=db;Database=skyport;Username=skyport;Password=...').";
        }
    }
}
