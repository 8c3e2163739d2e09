using System.Diagnostics;

namespace Skyport.Server.Operations.Telemetry;

/// <summary>
/// Skyport's spans (activity source <c>Skyport</c>), started where the matching metrics are recorded: one per job
/// run (<see cref="Jobs.JobRunner"/>), one per cloud transfer inside it (the get and send handlers; provider and
/// bytes are added by <see cref="Metrics.SkyportMetrics.Transferred"/>) and one per credential issuance
/// (<see cref="Cloud.Credentials.IssuanceRecorder"/>). Tags carry ids, names, counts and outcomes: never a
/// credential, a token or an error message (which may quote a provider's answer).
/// Without a listener (tracing off) starting a span costs a null check.
/// </summary>
public static class SkyportTelemetry
{
    public const string SourceName = "Skyport";
    public const string JobSpan = "skyport.job";
    public const string TransferSpan = "skyport.transfer";
    public const string IssuanceSpan = "skyport.credentials.issue";

    public static readonly ActivitySource Source = new(SourceName, typeof(SkyportTelemetry).Assembly.GetName().Version?.ToString(3));

    public static Activity? StartJob(long jobId) =>
        Source.StartActivity(JobSpan, ActivityKind.Internal)?.SetTag("skyport.job.id", jobId);

    /// <summary>What the job row says, once it is read.</summary>
    public static void DescribeJob(Activity? span, string toolId, int attempt) =>
        span?.SetTag("skyport.job.tool", toolId).SetTag("skyport.job.attempt", attempt);

    /// <summary>
    /// How the current job run ended: <c>ok</c>, <c>retry</c>, <c>error</c>, <c>cancelled</c> or <c>released</c> (shutting down).
    /// Called from wherever the runner decides it, so it tags the job span that is current there.
    /// </summary>
    public static void JobOutcome(string outcome, Exception? failure = null)
    {
        if (Activity.Current is { OperationName: JobSpan } span && span.Source == Source)
        {
            span.SetTag("skyport.job.outcome", outcome);
            if (failure is not null)
            {
                span.SetTag("error.type", failure.GetType().FullName);
                span.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    /// <param name="direction"><c>get</c> (into a history) or <c>send</c> (to a bucket).</param>
    public static Activity? StartTransfer(string direction, string bucket) =>
        Source.StartActivity(TransferSpan, ActivityKind.Internal)?.SetTag("skyport.transfer.direction", direction).SetTag("skyport.transfer.bucket", bucket);

    /// <summary>A finished transfer's provider and size, on the transfer span that is current (if any).</summary>
    internal static void Transferred(string provider, long bytes)
    {
        if (Activity.Current is { OperationName: TransferSpan } span && span.Source == Source)
        {
            span.SetTag("skyport.transfer.provider", provider).SetTag("skyport.transfer.bytes", bytes);
        }
    }

    /// <summary>
    /// One issuance as the provider answered it (issued or failed). The exchange itself is the HTTP client span
    /// just before it; this span covers recording it, under whatever needed the credentials (a request or a transfer).
    /// </summary>
    public static Activity? StartIssuance(string provider, bool succeeded)
    {
        var span = Source.StartActivity(IssuanceSpan, ActivityKind.Internal)
            ?.SetTag("skyport.credentials.provider", provider).SetTag("skyport.credentials.outcome", succeeded ? "issued" : "failed");
        if (!succeeded)
        {
            span?.SetStatus(ActivityStatusCode.Error);
        }
        return span;
    }
}
