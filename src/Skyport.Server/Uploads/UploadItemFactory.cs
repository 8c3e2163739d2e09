using System.Text;
using Microsoft.Extensions.Options;
using Skyport.Server.Datasets;
using Skyport.Server.Datatypes;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Uploads;

/// <summary>
/// The checks every upload source shares, done before anything is queued: the datatype is known,
/// the dbkey is well-formed, a session is the caller's and complete, a URL is http(s) to a public host.
/// </summary>
public sealed class UploadItemFactory(
    UploadSessions sessions,
    DatatypeRegistry datatypes,
    IOptions<UploadOptions> options)
{
    public const string PastedName = "Pasted Entry";

    public ImportOptions Import(string? extension, bool? toPosixLines, bool? spaceToTab, bool? autoDecompress)
    {
        extension = string.IsNullOrWhiteSpace(extension) || extension is "_sniff_" ? ImportOptions.Auto : extension.Trim();
        if (extension != ImportOptions.Auto && !datatypes.IsKnown(extension))
        {
            throw new RequestParameterInvalidException($"Unknown datatype '{extension}'. Use 'auto' or an extension from /api/datatypes.");
        }
        return new ImportOptions(extension, toPosixLines ?? true, spaceToTab ?? false, autoDecompress ?? false);
    }

    public async Task<UploadItem> FromSessionAsync(string sessionId, string? name, string? dbkey, ImportOptions import, CancellationToken cancellationToken)
    {
        var session = await sessions.FindCompleteAsync(sessionId, cancellationToken);
        return new UploadItem(session.Id, null, DatasetName(name ?? session.Filename, "Uploaded file"), Dbkey(dbkey), import);
    }

    public async Task<UploadItem> FromUrlAsync(string url, string? name, string? dbkey, ImportOptions import, CancellationToken cancellationToken)
    {
        var uri = UrlGuard.ParseHttpUrl(url);
        await UrlGuard.EnsureReachableAsync(uri, options.Value.AllowPrivateUrls, cancellationToken);
        var fallback = Uri.UnescapeDataString(uri.Segments.LastOrDefault()?.Trim('/') ?? "");
        return new UploadItem(null, uri, DatasetName(name ?? (fallback.Length > 0 ? fallback : uri.ToString()), uri.Host), Dbkey(dbkey), import);
    }

    /// <summary>Pasted text becomes a session the server fills itself, so the job reads it like any upload.</summary>
    public async Task<UploadItem> FromPastedAsync(string content, string? name, string? dbkey, ImportOptions import, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        if (bytes.Length > options.Value.MaxUploadBytes)
        {
            throw new PayloadTooLargeException("Pasted content exceeds the upload limit.");
        }
        var session = await sessions.CreateFromStreamAsync(new MemoryStream(bytes), name, cancellationToken);
        return new UploadItem(session.Id, null, DatasetName(name, PastedName), Dbkey(dbkey), import);
    }

    private static string Dbkey(string? dbkey) => DatasetsService.ValidDbkey(dbkey ?? "?");

    private static string DatasetName(string? name, string fallback)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return fallback;
        }
        return name.Length <= 1024 ? name : name[..1024];
    }
}
