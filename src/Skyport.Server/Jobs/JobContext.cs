using System.Text.Json;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Jobs;

/// <summary>
/// What a handler sees of its job: its parameters, and ways to report progress and save checkpoints.
/// Progress is only recorded here (any thread may call it); the runner writes it to the job row about
/// once a second from its own loop, so handlers never share a database context with that writer.
/// </summary>
public sealed class JobContext(Job job, IServiceScopeFactory scopes, string workerId, CancellationToken stopping = default)
{
    private readonly SemaphoreSlim _checkpointWrites = new(1, 1);
    private long _bytesDone = job.BytesDone;
    private long _bytesTotal = job.BytesTotal ?? -1;
    private long _version;

    public Job Job { get; } = job;

    /// <summary>The uuid of the job's output dataset (the name its bytes are stored under), when it has one.</summary>
    public Guid? OutputUuid { get; init; }

    /// <summary>The job's output dataset, which an importing job must have: its id and the uuid its bytes are stored under.</summary>
    public (long Id, Guid Uuid) Output => (Job.OutputDatasetId, OutputUuid) is (long id, Guid uuid)
        ? (id, uuid)
        : throw new JobFailedException($"Job {Job.Id} ({Job.ToolId}) has no output dataset.");

    /// <summary>
    /// True when the job is being stopped because this process shuts down (it will be started again and should
    /// keep what it can resume from), as opposed to a user's cancel (which must leave nothing behind).
    /// </summary>
    public bool ShuttingDown => stopping.IsCancellationRequested;

    public T Parameters<T>() =>
        JsonSerializer.Deserialize<T>(Job.Parameters, GalaxyJson.Options)
        ?? throw new JobFailedException($"Job {Job.Id} has no parameters.");

    public T? Checkpoint<T>() => Job.Checkpoint is null ? default : JsonSerializer.Deserialize<T>(Job.Checkpoint, GalaxyJson.Options);

    public void ReportProgress(long bytesDone, long? bytesTotal)
    {
        Interlocked.Exchange(ref _bytesDone, bytesDone);
        Interlocked.Exchange(ref _bytesTotal, bytesTotal ?? -1);
        Interlocked.Increment(ref _version);
    }

    /// <summary>
    /// The output's bytes are in the dataset store: the runner marks the dataset ok with the job, in one transaction, once
    /// the handler has returned (<see cref="ImportedDataset"/>). Nothing marks it ok if the handler fails after this.
    /// </summary>
    public void OutputImported(ImportedDataset dataset) => ImportedOutput = dataset;

    internal ImportedDataset? ImportedOutput { get; private set; }

    /// <summary>What the job did, for its <c>info</c> text; written with the ok outcome, in the same statement.</summary>
    public void ReportInfo(string info) => Info = info;

    internal string? Info { get; private set; }

    internal (long Version, long Done, long? Total) Progress
    {
        get
        {
            var total = Interlocked.Read(ref _bytesTotal);
            return (Interlocked.Read(ref _version), Interlocked.Read(ref _bytesDone), total < 0 ? null : total);
        }
    }

    /// <summary>Saves the handler's resume point; a later attempt (after a crash) reads it back with <see cref="Checkpoint{T}"/>.</summary>
    public async Task SaveCheckpointAsync<T>(T checkpoint, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(checkpoint, GalaxyJson.Options);
        await _checkpointWrites.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
            // Straight to the connection (DbStatements): every send saves its chosen key before it uploads.
            var saved = await db.ExecuteAsync(
                $"""UPDATE jobs SET "Checkpoint" = @json WHERE "Id" = @id AND "LeaseOwner" = @worker AND "State" = '{nameof(JobState.Running)}'""",
                cancellationToken, ("json", json), ("id", Job.Id), ("worker", workerId));
            if (saved == 0)
            {
                throw new OperationCanceledException("The job is no longer held by this worker.");
            }
            Job.Checkpoint = json;
        }
        finally
        {
            _checkpointWrites.Release();
        }
    }
}
