namespace Skyport.Server.Jobs;

/// <summary>
/// The work behind one tool id. Resolved in a fresh DI scope per attempt. Throw
/// <see cref="JobFailedException"/> for a final failure; other I/O and network errors are
/// retried with back-off (<see cref="JobFailure"/>). Must honour the token and clean up its
/// temporary files when cancelled.
/// </summary>
public interface IJobHandler
{
    Task RunAsync(JobContext context, CancellationToken cancellationToken);
}

/// <summary>A failure that retrying will not fix (bad input, verification mismatch, refused URL).</summary>
public sealed class JobFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A failure worth retrying even though its type would not say so.</summary>
public sealed class TransientJobException(string message, Exception? inner = null) : Exception(message, inner);

public static class JobFailure
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        JobFailedException => false,
        TransientJobException => true,
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } status } => (int)status >= 500 || (int)status == 429 || (int)status == 408,
        TimeoutException => true,
        IOException and not (FileNotFoundException or DirectoryNotFoundException) => true,
        _ => false,
    };
}
