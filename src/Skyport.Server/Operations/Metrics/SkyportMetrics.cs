using System.Diagnostics.Metrics;

namespace Skyport.Server.Operations.Metrics;

/// <summary>
/// Skyport's own instruments (meter <c>Skyport</c>), recorded where the work happens: bytes of finished
/// transfers per provider and direction, credential issuances and refusals per provider, and how long a
/// ready job waited for a worker. Jobs by state and the queue are observed from the database on collection
/// (<see cref="JobQueueGauges"/>). Request rates and latencies per route come from ASP.NET Core's own meter.
/// </summary>
public sealed class SkyportMetrics
{
    public const string MeterName = "Skyport";

    private readonly Counter<long> _transferBytes;
    private readonly Counter<long> _issuances;
    private readonly Histogram<double> _queueWait;

    public SkyportMetrics(IMeterFactory meters, JobQueueGauges jobs)
    {
        var meter = meters.Create(MeterName);
        _transferBytes = meter.CreateCounter<long>("skyport.transfer.bytes", "By", "Bytes of completed cloud transfers (direction get: into a history; send: to a bucket).");
        _issuances = meter.CreateCounter<long>("skyport.credentials.issuances", "{issuance}", "Cloud credentials obtained (outcome issued) or refused by the provider (outcome failed).");
        _queueWait = meter.CreateHistogram<double>("skyport.jobs.queue.wait", "s", "Time a job was ready to run before a worker started it.");
        meter.CreateObservableGauge("skyport.jobs", jobs.ByState, "{job}", "Jobs in the database by state.");
        meter.CreateObservableGauge("skyport.jobs.queue.depth", jobs.ReadyCount, "{job}", "Queued jobs ready to run now.");
        meter.CreateObservableGauge("skyport.jobs.queue.oldest_wait", jobs.OldestWaitSeconds, "s", "How long the longest-waiting ready job has waited.");
    }

    public void Transferred(string provider, string direction, long bytes)
    {
        _transferBytes.Add(bytes, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("direction", direction));
        Telemetry.SkyportTelemetry.Transferred(provider, bytes);
    }

    public void CredentialsIssued(string provider, bool succeeded) =>
        _issuances.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", succeeded ? "issued" : "failed"));

    public void JobStarted(string toolId, TimeSpan waited) =>
        _queueWait.Record(Math.Max(0, waited.TotalSeconds), new KeyValuePair<string, object?>("tool", toolId));
}
