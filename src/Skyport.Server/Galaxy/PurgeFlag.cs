using System.Text.Json;

namespace Skyport.Server.Galaxy;

/// <summary>
/// The <c>purge</c> flag of Galaxy's DELETE routes. Galaxy reads it from the query string or from a
/// JSON body, and BioBlend's <c>delete_dataset</c> and <c>delete_history</c> send it only in the body
/// (<c>{"purge": true}</c>): ignoring the body would leave bytes on disk that the user asked to destroy.
/// </summary>
public static class PurgeFlag
{
    /// <summary>The body of a DELETE carries a flag or two; anything bigger is not a Galaxy client talking.</summary>
    private const int MaxBodyBytes = 64 * 1024;

    public static async Task<bool> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var fromQuery = QueryValues.Bool(request, "purge") ?? false;
        var body = await ReadSmallBodyAsync(request, cancellationToken);
        if (body.Length == 0)
        {
            return fromQuery;
        }
        using var json = JsonDocument.Parse(body);
        var fromBody = Payload.Root(json.RootElement).OptionalBool("purge") ?? false;
        return fromQuery || fromBody;
    }

    private static async Task<ReadOnlyMemory<byte>> ReadSmallBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new PayloadTooLargeException($"The body of a DELETE request may be at most {MaxBodyBytes} bytes.");
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new PayloadTooLargeException($"The body of a DELETE request may be at most {MaxBodyBytes} bytes.");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
