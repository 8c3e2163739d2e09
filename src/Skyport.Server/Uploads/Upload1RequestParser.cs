using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Uploads;

/// <summary>
/// Galaxy's older upload: <c>POST /api/tools</c> with <c>tool_id: upload1</c> and flat inputs
/// (<c>files_0|url_paste</c>, <c>files_0|NAME</c>, <c>file_type</c>, <c>dbkey</c>...), as JSON or as a
/// multipart form whose <c>files_N|file_data</c> parts are streamed straight into upload sessions.
/// </summary>
public sealed class Upload1RequestParser(UploadItemFactory factory, UploadSessions sessions)
{
    public const string ToolId = "upload1";
    private const int MaxFiles = 100;
    private const int MaxFieldBytes = 16 << 20;

    public async Task<(string HistoryId, IReadOnlyList<UploadItem> Items)> ParseAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        Dictionary<string, string> fileSessions = [];
        JsonElement body;
        if (request.HasFormContentType && MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) && mediaType.Boundary.HasValue)
        {
            (body, fileSessions) = await ReadMultipartAsync(request, HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value!, cancellationToken);
        }
        else
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body, GalaxyJson.Options, cancellationToken);
        }
        var payload = Payload.Root(body);
        var toolId = payload.RequiredString("tool_id");
        if (toolId != ToolId)
        {
            throw new RequestParameterInvalidException($"Tool '{toolId}' is not available on this server; only '{ToolId}' (upload) is.");
        }
        var historyId = payload.RequiredString("history_id");
        var inputs = ReadInputs(payload);

        var import = inputs.OptionalString("file_type");
        var dbkey = inputs.OptionalString("dbkey");
        var items = new List<UploadItem>();
        for (var n = 0; n < MaxFiles && HasFile(inputs, fileSessions, n); n++)
        {
            var prefix = $"files_{n}|";
            var options = factory.Import(import, inputs.OptionalBool(prefix + "to_posix_lines"), inputs.OptionalBool(prefix + "space_to_tab"),
                inputs.OptionalBool(prefix + "auto_decompress"));
            var name = inputs.OptionalString(prefix + "NAME");
            var fileDbkey = inputs.OptionalString(prefix + "dbkey") ?? dbkey;
            if (fileSessions.TryGetValue(prefix + "file_data", out var uploaded))
            {
                items.Add(await factory.FromSessionAsync(uploaded, name, fileDbkey, options, cancellationToken));
            }
            else if (inputs.OptionalObject(prefix + "file_data") is { } tus)
            {
                items.Add(await factory.FromSessionAsync(tus.RequiredString("session_id"), name, fileDbkey, options, cancellationToken));
            }
            else if (inputs.OptionalString(prefix + "url_paste") is { Length: > 0 } paste)
            {
                var lines = paste.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (lines.Length > 0 && lines.All(IsUrl))
                {
                    foreach (var url in lines)
                    {
                        items.Add(await factory.FromUrlAsync(url, lines.Length == 1 ? name : null, fileDbkey, options, cancellationToken));
                    }
                }
                else
                {
                    items.Add(await factory.FromPastedAsync(paste, name, fileDbkey, options, cancellationToken));
                }
            }
            else
            {
                throw RequestParameterMissingException.For($"{prefix}file_data", $"{prefix}url_paste");
            }
        }
        if (items.Count == 0)
        {
            throw RequestParameterMissingException.For("files_0|file_data", "files_0|url_paste");
        }
        return (historyId, items);
    }

    private static Payload ReadInputs(Payload payload)
    {
        if (!payload.Has("inputs"))
        {
            throw RequestParameterMissingException.For("inputs");
        }
        var inputs = payload.OptionalObjectOrJsonString("inputs")
            ?? throw new RequestParameterInvalidException("'inputs' must be an object (or a JSON string of one).");
        // Galaxy moves top-level "files_*" keys into the inputs: BioBlend's paste_content sends
        // files_0|url_paste beside "inputs", not inside it.
        var topLevelFiles = payload.Element.EnumerateObject()
            .Where(p => p.Name.StartsWith("files_", StringComparison.Ordinal) || p.Name.StartsWith("__files_", StringComparison.Ordinal))
            .ToList();
        if (topLevelFiles.Count == 0)
        {
            return inputs;
        }
        var merged = inputs.Element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        foreach (var file in topLevelFiles)
        {
            merged[file.Name] = file.Value;
        }
        return new Payload(JsonSerializer.SerializeToElement(merged), "inputs");
    }

    private static bool HasFile(Payload inputs, Dictionary<string, string> files, int n) =>
        files.ContainsKey($"files_{n}|file_data")
        || inputs.Element.EnumerateObject().Any(p => p.Name.StartsWith($"files_{n}|", StringComparison.Ordinal) && p.Name != $"files_{n}|type");

    private static bool IsUrl(string line) =>
        line.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || line.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private async Task<(JsonElement Body, Dictionary<string, string> Files)> ReadMultipartAsync(
        HttpRequest request, string boundary, CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        var fields = new Dictionary<string, string>();
        var files = new Dictionary<string, string>();
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFormDisposition())
            {
                continue;
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (disposition.IsFileDisposition())
            {
                var filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                var session = await sessions.CreateFromStreamAsync(section.Body, filename, cancellationToken);
                files[name] = session.Id;
            }
            else
            {
                using var text = new StreamReader(section.Body);
                var buffer = new char[MaxFieldBytes + 1];
                var read = await text.ReadBlockAsync(buffer, cancellationToken);
                if (read > MaxFieldBytes)
                {
                    throw new PayloadTooLargeException($"Form field '{name}' is too large.");
                }
                fields[name] = new string(buffer, 0, read);
            }
        }
        var json = JsonSerializer.SerializeToElement(fields.ToDictionary(f => f.Key, f => UnwrapJsonString(f.Value)));
        return (json, files);
    }

    /// <summary>Some clients JSON-encode every form field; a quoted string field means its content.</summary>
    private static string UnwrapJsonString(string value)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(value) ?? value;
            }
            catch (JsonException)
            {
            }
        }
        return value;
    }
}
