using System.Text.Json;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Uploads;

/// <summary>
/// Galaxy's <c>POST /api/tools/fetch</c> payload: <c>targets</c> with <c>destination {type: hdas}</c> and
/// <c>elements</c> whose <c>src</c> is <c>files</c> (the n-th such element takes <c>files_n|file_data</c>,
/// a TUS session), <c>url</c> or <c>pasted</c>.
/// </summary>
public sealed class FetchRequestParser(UploadItemFactory factory)
{
    public const int MaxElements = 1000;

    public async Task<(string HistoryId, IReadOnlyList<UploadItem> Items)> ParseAsync(JsonElement body, CancellationToken cancellationToken)
    {
        var payload = Payload.Root(body);
        var historyId = payload.RequiredString("history_id");
        var targets = payload.RequiredObjectList("targets", 100);
        if (targets.Count == 0)
        {
            throw new RequestParameterInvalidException("'targets' must not be empty.");
        }
        var defaultDecompress = payload.OptionalBool("auto_decompress");
        var elements = new List<Payload>();
        foreach (var target in targets)
        {
            var destination = target.RequiredObject("destination");
            var type = destination.RequiredString("type");
            if (type != "hdas")
            {
                throw new RequestParameterInvalidException($"Destination type '{type}' is not supported; use 'hdas' (history datasets).");
            }
            if (target.Has("items") && !target.Has("elements"))
            {
                throw new RequestParameterInvalidException("Collections ('items') are not supported; use 'elements'.");
            }
            elements.AddRange(target.RequiredObjectList("elements", MaxElements));
        }
        if (elements.Count is 0 or > MaxElements)
        {
            throw new RequestParameterInvalidException($"A fetch request needs 1 to {MaxElements} elements (got {elements.Count}).");
        }

        var items = new List<UploadItem>(elements.Count);
        var filesIndex = 0;
        var sessionsUsed = new HashSet<string>();
        foreach (var element in elements)
        {
            var import = factory.Import(element.OptionalString("ext"), element.OptionalBool("to_posix_lines"),
                element.OptionalBool("space_to_tab"), element.OptionalBool("auto_decompress") ?? defaultDecompress);
            var name = element.OptionalString("name");
            var dbkey = element.OptionalString("dbkey");
            var src = element.RequiredString("src");
            switch (src)
            {
                case "files":
                    var file = payload.OptionalObject($"files_{filesIndex}|file_data")
                        ?? throw RequestParameterMissingException.For($"files_{filesIndex}|file_data");
                    filesIndex++;
                    var sessionId = file.RequiredString("session_id");
                    if (!sessionsUsed.Add(sessionId))
                    {
                        throw new RequestParameterInvalidException($"Upload session '{sessionId}' is used more than once.");
                    }
                    items.Add(await factory.FromSessionAsync(sessionId, name ?? file.OptionalString("name"), dbkey, import, cancellationToken));
                    break;
                case "url":
                    items.Add(await factory.FromUrlAsync(element.RequiredString("url"), name, dbkey, import, cancellationToken));
                    break;
                case "pasted":
                    items.Add(await factory.FromPastedAsync(element.RequiredString("paste_content"), name, dbkey, import, cancellationToken));
                    break;
                default:
                    throw new RequestParameterInvalidException($"Element source '{src}' is not supported; use 'files', 'url' or 'pasted'.");
            }
        }
        return (historyId, items);
    }
}
