namespace Skyport.Server.Galaxy;

/// <summary>
/// An error that reaches the client as Galaxy's <c>{"err_msg", "err_code"}</c> envelope.
/// Thrown anywhere below the endpoints; mapped to a response in exactly one place
/// (<see cref="GalaxyExceptionHandler"/>).
/// </summary>
public abstract class GalaxyException(string message, int statusCode, int errorCode) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public int ErrorCode { get; } = errorCode;

    /// <summary>Headers the status calls for (HTTP requires some, e.g. Content-Range on a 416); none by default.</summary>
    public virtual void AddHeaders(IHeaderDictionary headers)
    {
    }
}

public sealed class RequestParameterMissingException(string message)
    : GalaxyException(message, StatusCodes.Status400BadRequest, 400007)
{
    public static RequestParameterMissingException For(params string[] names) =>
        new($"The following required arguments are missing in the payload: [{string.Join(", ", names.Select(n => $"'{n}'"))}]");
}

public sealed class RequestParameterInvalidException(string message)
    : GalaxyException(message, StatusCodes.Status400BadRequest, 400008);

public sealed class MalformedIdException(string message)
    : GalaxyException(message, StatusCodes.Status400BadRequest, 400009);

public sealed class ActionInputException(string message)
    : GalaxyException(message, StatusCodes.Status400BadRequest, 0);

public sealed class AuthenticationFailedException(string message)
    : GalaxyException(message, StatusCodes.Status401Unauthorized, 401001);

public sealed class ItemAccessibilityException(string message)
    : GalaxyException(message, StatusCodes.Status403Forbidden, 403002);

public sealed class AdminRequiredException(string message = "You must be an administrator to access this feature.")
    : GalaxyException(message, StatusCodes.Status403Forbidden, 403006);

public sealed class ObjectNotFoundException(string message)
    : GalaxyException(message, StatusCodes.Status404NotFound, 404001);

public sealed class ConflictException(string message)
    : GalaxyException(message, StatusCodes.Status409Conflict, 409001);

public sealed class PayloadTooLargeException(string message)
    : GalaxyException(message, StatusCodes.Status413PayloadTooLarge, 413001);

public sealed class RangeNotSatisfiableException(string message, long length)
    : GalaxyException(message, StatusCodes.Status416RangeNotSatisfiable, 416001)
{
    public long Length { get; } = length;

    /// <summary>RFC 9110 §15.5.17: a 416 names the current length, so the client can ask again.</summary>
    public override void AddHeaders(IHeaderDictionary headers) => headers.ContentRange = $"bytes */{Length}";
}
