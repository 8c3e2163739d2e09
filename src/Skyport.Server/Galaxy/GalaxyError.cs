using System.Text.Json.Serialization;

namespace Skyport.Server.Galaxy;

/// <summary>Galaxy's error body. Serialized with the snake_case policy: <c>err_msg</c>, <c>err_code</c>.</summary>
public sealed record GalaxyError(string ErrMsg, int ErrCode)
{
    /// <summary>The request's id (also its <c>X-Request-Id</c> header and in the server's log), so a report can be matched to the log.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; init; }

    /// <summary>This error, naming the request it answers.</summary>
    public GalaxyError For(HttpContext context) => this with { RequestId = context.TraceIdentifier };
}
