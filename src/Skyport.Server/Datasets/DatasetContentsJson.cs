using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

/// <summary>One row of a history's contents, as read from the database for a listing.</summary>
public readonly record struct DatasetContentRow(
    long Id, int Hid, string Name, DatasetState State, string Extension, long FileSize,
    bool Deleted, bool Purged, bool Visible, DateTime CreateTime, DateTime UpdateTime);

/// <summary>
/// Writes <c>GET /api/histories/{id}/contents</c> straight into the response: the same JSON as serializing
/// <see cref="DatasetContentItem"/>s with <see cref="GalaxyJson.Options"/> (a test holds the two equal, names that need
/// escaping included), with rows streamed from the database as they are read. Listing a history of 10,000 datasets
/// writes 4–5 MB, and the general serializer spent most of the request's time on it; so did Utf8JsonWriter, whose
/// per-property checks were the largest part left. Here an item is its constant fragments copied as bytes, with the
/// values between them: numbers, booleans and timestamps formatted in place, ids and URLs as ASCII, and a name or
/// extension copied as UTF-8 unless it needs escaping, when <see cref="JsonEncodedText"/> escapes it exactly as the
/// serializer would.
/// </summary>
public static class DatasetContentsJson
{
    internal const int FlushThreshold = 64 * 1024;

    /// <summary>The fixed size of an item beyond its name and extension (which are bounded separately), with room to spare.</summary>
    private const int ItemOverhead = 1024;

    private static readonly byte[][] StateValues =
        Enum.GetValues<DatasetState>().Select(s => Encoding.UTF8.GetBytes(DatasetViews.StateName(s))).ToArray();

    public static async Task WriteAsync(PipeWriter output, long historyId, IAsyncEnumerable<DatasetContentRow> rows, IdEncoder ids,
        CancellationToken cancellationToken)
    {
        var encodedHistory = ids.Encode(historyId);
        var history = Encoding.ASCII.GetBytes(encodedHistory);
        var urlPrefix = Encoding.ASCII.GetBytes($"/api/histories/{encodedHistory}/contents/");
        var extensions = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long unflushed = 0;
        var first = true;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (!extensions.TryGetValue(row.Extension, out var extension))
            {
                extensions[row.Extension] = extension = Escaped(row.Extension);
            }
            // Escaped, a UTF-16 code unit takes at most 6 bytes (\uXXXX; a surrogate pair is two of them); unescaped UTF-8, at most 3.
            var span = output.GetSpan(ItemOverhead + (6 * row.Name.Length) + extension.Length);
            var length = 0;
            Append(span, ref length, first ? "[{\"id\":\""u8 : ",{\"id\":\""u8);
            first = false;
            var id = ids.Encode(row.Id);
            var idStart = length;
            length += Encoding.ASCII.GetBytes(id, span[length..]);
            var idBytes = span[idStart..length];
            Append(span, ref length, "\",\"hid\":"u8);
            Number(span, ref length, row.Hid);
            Append(span, ref length, ",\"name\":\""u8);
            Name(span, ref length, row.Name);
            Append(span, ref length, "\",\"state\":\""u8);
            Append(span, ref length, StateValues[(int)row.State]);
            Append(span, ref length, "\",\"extension\":\""u8);
            Append(span, ref length, extension);
            Append(span, ref length, "\",\"file_size\":"u8);
            Number(span, ref length, row.FileSize);
            Append(span, ref length, row.Deleted ? ",\"deleted\":true"u8 : ",\"deleted\":false"u8);
            Append(span, ref length, row.Purged ? ",\"purged\":true"u8 : ",\"purged\":false"u8);
            Append(span, ref length, row.Visible ? ",\"visible\":true,\"history_id\":\""u8 : ",\"visible\":false,\"history_id\":\""u8);
            Append(span, ref length, history);
            Append(span, ref length, "\",\"create_time\":\""u8);
            length += GalaxyJson.FormatTimestamp(row.CreateTime, span[length..]).Length;
            Append(span, ref length, "\",\"update_time\":\""u8);
            length += GalaxyJson.FormatTimestamp(row.UpdateTime, span[length..]).Length;
            Append(span, ref length, "\",\"url\":\""u8);
            Append(span, ref length, urlPrefix);
            Append(span, ref length, idBytes);
            Append(span, ref length, "\",\"history_content_type\":\"dataset\",\"type\":\"file\",\"type_id\":\"dataset-"u8);
            Append(span, ref length, idBytes);
            Append(span, ref length, "\",\"model_class\":\"HistoryDatasetAssociation\"}"u8);
            output.Advance(length);
            unflushed += length;
            if (unflushed >= FlushThreshold)
            {
                unflushed = 0;
                var flushed = await output.FlushAsync(cancellationToken);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }
        output.Write(first ? "[]"u8 : "]"u8);
        await output.FlushAsync(cancellationToken);
    }

    private static void Append(Span<byte> span, ref int length, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[length..]);
        length += bytes.Length;
    }

    private static void Number(Span<byte> span, ref int length, long value)
    {
        value.TryFormat(span[length..], out var written, default, CultureInfo.InvariantCulture);
        length += written;
    }

    /// <summary>A name as UTF-8, copied when nothing in it needs escaping (the common case), otherwise escaped as the serializer does.</summary>
    private static void Name(Span<byte> span, ref int length, string name)
    {
        var utf8 = span[length..];
        var count = Encoding.UTF8.GetBytes(name, utf8);
        if (JavaScriptEncoder.Default.FindFirstCharacterToEncodeUtf8(utf8[..count]) < 0)
        {
            length += count;
            return;
        }
        Append(span, ref length, JsonEncodedText.Encode(name).EncodedUtf8Bytes);
    }

    private static byte[] Escaped(string value) => JsonEncodedText.Encode(value).EncodedUtf8Bytes.ToArray();
}
