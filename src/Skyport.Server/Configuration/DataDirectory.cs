using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Skyport.Server.Configuration;

/// <summary>The data folder and its well-known sub-folders; created on first use.</summary>
public sealed class DataDirectory
{
    public DataDirectory(IOptions<SkyportOptions> options)
    {
        Root = Path.GetFullPath(options.Value.DataDir);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Files);
        Directory.CreateDirectory(Temp);
        Directory.CreateDirectory(Uploads);
    }

    public string Root { get; }
    public string Files => Path.Combine(Root, "files");
    public string Temp => Path.Combine(Root, "tmp");
    public string Uploads => Path.Combine(Root, "uploads");

    /// <summary>
    /// Reads a secret kept in the data folder, creating it (owner-only permissions) on first use.
    /// Creation is exclusive, so concurrent first starts agree on one value.
    /// </summary>
    public byte[] GetOrCreateSecret(string fileName, int bytes)
    {
        var path = Path.Combine(Root, fileName);
        if (!File.Exists(path))
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using var writer = new StreamWriter(path, options);
                writer.Write(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes)));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }
        return Convert.FromHexString(File.ReadAllText(path).Trim());
    }
}
