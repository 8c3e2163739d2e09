using Skyport.Server.Configuration;

namespace Skyport.Server.Data;

public sealed class DatabaseOptions : IValidatedOptions
{
    public const string Section = "Skyport:Database";

    /// <summary><c>sqlite</c> (default). PostgreSQL arrives with the scale-out work.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Empty means <c>skyport.db</c> in the data folder.</summary>
    public string? ConnectionString { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (!string.Equals(Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{section}:Provider must be 'sqlite' (got '{Provider}').";
        }
    }
}
