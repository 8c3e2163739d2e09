namespace Skyport.Server.Configuration;

/// <summary>Settings under <c>Skyport</c> that belong to no single feature.</summary>
public sealed class SkyportOptions : IValidatedOptions
{
    public const string Section = "Skyport";

    /// <summary>Where the SQLite database, dataset files, uploads and generated secrets live.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Secret for encoding ids (hex, at least 32 characters). Generated into the data folder when empty.</summary>
    public string? IdSecret { get; set; }

    /// <summary>Email of the administrator created on first start with an empty database.</summary>
    public string BootstrapAdminEmail { get; set; } = "admin@skyport.local";

    public IEnumerable<string> Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            yield return $"{section}:DataDir must not be empty.";
        }
        if (!string.IsNullOrEmpty(IdSecret) && (IdSecret.Length < 32 || !IdSecret.All(Uri.IsHexDigit)))
        {
            yield return $"{section}:IdSecret must be at least 32 hexadecimal characters.";
        }
        if (!BootstrapAdminEmail.Contains('@'))
        {
            yield return $"{section}:BootstrapAdminEmail must be an email address (got '{BootstrapAdminEmail}').";
        }
    }
}
