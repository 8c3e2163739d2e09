using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

/// <summary>One row of a history's contents, as read from the database for a listing.</summary>
public readonly record struct DatasetContentRow(
    long Id, int Hid, string Name, DatasetState State, string Extension, long FileSize,
    bool Deleted, bool Purged, bool Visible, DateTime CreateTime, DateTime UpdateTime);

/// <summary>
/// Writes <c>GET /api/histories/{id}/contents</c> straight into the response: the same JSON as serializing
/// <see cref="DatasetContentItem"/>s with <see cref="GalaxyJson.Options"/> (a test holds the two equal), but with
/// pre-encoded property names no object per item, and rows streamed from the database as they are read. Listing a history of 10,000 datasets writes 4–5 MB, and
/// the general serializer spent most of the request's time on it.
/// </summary>
public static class DatasetContentsJson
{
    internal const int FlushThreshold = 64 * 1024;

    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Hid = JsonEncodedText.Encode("hid");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText State = JsonEncodedText.Encode("state");
    private static readonly JsonEncodedText Extension = JsonEncodedText.Encode("extension");
    private static readonly JsonEncodedText FileSize = JsonEncodedText.Encode("file_size");
    private static readonly JsonEncodedText Deleted = JsonEncodedText.Encode("deleted");
    private static readonly JsonEncodedText Purged = JsonEncodedText.Encode("purged");
    private static readonly JsonEncodedText Visible = JsonEncodedText.Encode("visible");
    private static readonly JsonEncodedText HistoryId = JsonEncodedText.Encode("history_id");
    private static readonly JsonEncodedText CreateTime = JsonEncodedText.Encode("create_time");
    private static readonly JsonEncodedText UpdateTime = JsonEncodedText.Encode("update_time");
    private static readonly JsonEncodedText Url = JsonEncodedText.Encode("url");
    private static readonly JsonEncodedText HistoryContentType = JsonEncodedText.Encode("history_content_type");
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText TypeId = JsonEncodedText.Encode("type_id");
    private static readonly JsonEncodedText ModelClass = JsonEncodedText.Encode("model_class");
    private static readonly JsonEncodedText DatasetValue = JsonEncodedText.Encode("dataset");
    private static readonly JsonEncodedText FileValue = JsonEncodedText.Encode("file");
    private static readonly JsonEncodedText HdaValue = JsonEncodedText.Encode("HistoryDatasetAssociation");
    private static readonly JsonEncodedText[] StateValues =
        Enum.GetValues<DatasetState>().Select(s => JsonEncodedText.Encode(DatasetViews.StateName(s))).ToArray();

    public static async Task WriteAsync(PipeWriter output, long historyId, IAsyncEnumerable<DatasetContentRow> rows, IdEncoder ids,
        CancellationToken cancellationToken)
    {
        var history = ids.Encode(historyId);
        var urlPrefix = Encoding.UTF8.GetBytes($"/api/histories/{history}/contents/");
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = GalaxyJson.Options.Encoder, SkipValidation = true });
        writer.WriteStartArray();
        long flushedUpTo = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            WriteItem(writer, row, ids.Encode(row.Id), history, urlPrefix);
            // Over a pipe the writer commits every block it fills (BytesPending stays below a block), so the amount
            // written since the last flush is counted from what it committed.
            if (writer.BytesCommitted + writer.BytesPending - flushedUpTo >= FlushThreshold)
            {
                writer.Flush();
                flushedUpTo = writer.BytesCommitted;
                var flushed = await output.FlushAsync(cancellationToken);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }
        writer.WriteEndArray();
        writer.Flush();
        await output.FlushAsync(cancellationToken);
    }

    private static void WriteItem(Utf8JsonWriter writer, in DatasetContentRow row, string id, string history, byte[] urlPrefix)
    {
        Span<byte> scratch = stackalloc byte[128];
        writer.WriteStartObject();
        writer.WriteString(Id, id);
        writer.WriteNumber(Hid, row.Hid);
        writer.WriteString(Name, row.Name);
        writer.WriteString(State, StateValues[(int)row.State]);
        writer.WriteString(Extension, row.Extension);
        writer.WriteNumber(FileSize, row.FileSize);
        writer.WriteBoolean(Deleted, row.Deleted);
        writer.WriteBoolean(Purged, row.Purged);
        writer.WriteBoolean(Visible, row.Visible);
        writer.WriteString(HistoryId, history);
        writer.WriteString(CreateTime, GalaxyJson.FormatTimestamp(row.CreateTime, scratch));
        writer.WriteString(UpdateTime, GalaxyJson.FormatTimestamp(row.UpdateTime, scratch));
        urlPrefix.CopyTo(scratch);
        var idLength = Encoding.ASCII.GetBytes(id, scratch[urlPrefix.Length..]);
        writer.WriteString(Url, scratch[..(urlPrefix.Length + idLength)]);
        writer.WriteString(HistoryContentType, DatasetValue);
        writer.WriteString(Type, FileValue);
        "dataset-"u8.CopyTo(scratch);
        Encoding.ASCII.GetBytes(id, scratch[8..]);
        writer.WriteString(TypeId, scratch[..(8 + id.Length)]);
        writer.WriteString(ModelClass, HdaValue);
        writer.WriteEndObject();
    }
}
