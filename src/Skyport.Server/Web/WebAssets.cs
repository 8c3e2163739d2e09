using System.Security.Cryptography;
using Microsoft.Extensions.FileProviders;

namespace Skyport.Server.Web;

/// <summary>
/// The UI's stylesheet and scripts, embedded in the assembly (so the published host and in-process test servers
/// serve the same files without a web root) at <c>/static/NAME</c>; URLs carry a content hash so browsers may cache them for good.
/// </summary>
public sealed class WebAssets
{
    private const string RequestPath = "/static";
    private readonly EmbeddedFileProvider _files = new(typeof(WebAssets).Assembly, "Skyport.Server.Web.Assets");
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);

    public WebAssets()
    {
        foreach (var file in _files.GetDirectoryContents(""))
        {
            using var stream = file.CreateReadStream();
            _versions[file.Name] = Convert.ToHexStringLower(SHA256.HashData(stream))[..12];
        }
    }

    public StaticFileOptions StaticFileOptions => new()
    {
        FileProvider = _files,
        RequestPath = RequestPath,
        OnPrepareResponse = context =>
        {
            if (context.Context.Request.Query.ContainsKey("v"))
            {
                context.Context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            }
        },
    };

    public string Url(string name) =>
        _versions.TryGetValue(name, out var version) ? $"{RequestPath}/{name}?v={version}" : throw new ArgumentException($"No embedded asset {name}.", nameof(name));
}
