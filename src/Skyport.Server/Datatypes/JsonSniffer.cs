using System.Text;
using System.Text.Json;

namespace Skyport.Server.Datatypes;

/// <summary>
/// JSON: one object or array. When the head was cut by its bound, a document that is well formed so far counts;
/// when the head is the whole file, the document must be complete with nothing but whitespace after it.
/// </summary>
internal static class JsonSniffer
{
    public static bool Matches(TextHead head)
    {
        string trimmed = head.Text.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '['))
        {
            return false;
        }
        byte[] json = Encoding.UTF8.GetBytes(trimmed);
        var reader = new Utf8JsonReader(json, isFinalBlock: !head.Truncated, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    return json.AsSpan((int)reader.BytesConsumed).Trim(" \t\r\n"u8).IsEmpty;
                }
            }
            return head.Truncated;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
