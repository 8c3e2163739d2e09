namespace Skyport.Server.Galaxy;

/// <summary>Galaxy's error body. Serialized with the snake_case policy: <c>err_msg</c>, <c>err_code</c>.</summary>
public sealed record GalaxyError(string ErrMsg, int ErrCode);
