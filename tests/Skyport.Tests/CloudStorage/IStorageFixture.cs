using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// What the provider-neutral get/send tests need from a cloud: a Skyport server pointed at the provider's
/// emulator, a signed-in user with an authorization for it, and a direct client to set up and inspect buckets.
/// One implementation per provider, so each case is written once and runs against S3, Azure and GCS.
/// </summary>
public interface IStorageFixture
{
    TestCloud Cloud { get; }
    SkyportServer Server { get; }
    HttpClient User { get; }
    string AuthzId { get; }
    /// <summary>The name of the metadata entry holding Skyport's SHA-256 on this provider.</summary>
    string Sha256MetadataKey { get; }
    /// <summary>Object keys this provider (or its emulator) stores as given, for the odd-keys round trip.</summary>
    IReadOnlyList<string> OddKeys { get; }
    Task<string> NewBucketAsync();
    Task PutAsync(string bucket, string key, byte[] bytes);
    Task<byte[]> ReadAsync(string bucket, string key);
    Task<List<string>> KeysAsync(string bucket);
    Task<IReadOnlyDictionary<string, string>> MetadataAsync(string bucket, string key);

    // Fault hooks for ProviderFaultTests (Azure and GCS; the S3 fault tests use TestCloud directly).

    /// <summary>How many times Skyport's client for this provider tries one request on a 503 before giving up.</summary>
    int SdkTriesPerRequest => 1;
    /// <summary>503s (after HEAD and two ranges) that a get of seven ranges cannot absorb in one attempt yet that leave later attempts room.</summary>
    int GetFailuresOutlastingSdkRetries => 5 * (SdkTriesPerRequest - 1) + 1;
    /// <summary>An outage (dropped connections) long enough that the SDK's own retries of one request give up within it.</summary>
    TimeSpan OutageOutlastingSdkRetries => TimeSpan.FromSeconds(10);

    /// <summary>The emulator answers 503 to the next <paramref name="count"/> requests, after letting <paramref name="after"/> through.</summary>
    Task FailRequestsAsync(int count, int after) => throw new NotSupportedException();
    /// <summary>
    /// As <see cref="FailRequestsAsync"/>, counting only the requests that send a part of an upload (S3 UploadPart, Azure
    /// Put Block, a GCS session's chunk), so that starting, aborting and inspecting an upload are never faulted.
    /// </summary>
    Task FailPartUploadsAsync(int count, int after) => throw new NotSupportedException();
    /// <summary>The emulator resets connections for <paramref name="duration"/> (from the first dropped one), after letting <paramref name="after"/> requests through.</summary>
    Task DropConnectionsAsync(TimeSpan duration, int after) => throw new NotSupportedException();
    /// <summary>Flips one stored byte while size, hashes and metadata stay as recorded.</summary>
    Task CorruptAsync(string bucket, string key) => throw new NotSupportedException();
    Task ClearFaultsAsync() => throw new NotSupportedException();
    /// <summary>Parts uploaded for the key but not part of any visible object (Azure: uncommitted blocks).</summary>
    Task<IReadOnlyList<string>> UncommittedPartsAsync(string bucket, string key) => Task.FromResult<IReadOnlyList<string>>([]);

    // Crash hooks for CrashResumeTests (Azure and GCS; the S3 crash tests use TestCloud directly).

    /// <summary>The settings of this fixture's server, for a child server a crash test starts on the same cloud.</summary>
    Dictionary<string, string?> ServerSettings() => throw new NotSupportedException();
    /// <summary>The authorization (provider and config) a session on another server registers for this fixture's subject.</summary>
    (string Provider, object Config) Authorization => throw new NotSupportedException();
    /// <summary>Every request waits <paramref name="delay"/> before the emulator serves it, until <see cref="ClearFaultsAsync"/>.</summary>
    Task DelayRequestsAsync(TimeSpan delay) => throw new NotSupportedException();
    /// <summary>The emulator's request log starts again empty.</summary>
    Task ClearRequestsAsync() => throw new NotSupportedException();
    /// <summary>The Range of every read of the object's bytes the emulator saw ("bytes=a-b", or "whole object"), oldest first.</summary>
    Task<IReadOnlyList<string>> ReadRangesAsync(string bucket, string key) => throw new NotSupportedException();
    /// <summary>The upload requests on the key the emulator saw, in provider-neutral terms, oldest first.</summary>
    Task<IReadOnlyList<UploadStep>> UploadStepsAsync(string bucket, string key) => throw new NotSupportedException();
    /// <summary>The parts of an unfinished upload of the key that the store holds now, named as in <see cref="UploadStep.Part"/>.</summary>
    Task<IReadOnlySet<string>> HeldPartsAsync(string bucket, string key) => throw new NotSupportedException();

    /// <summary>
    /// The held parts a resumed send can count on, given the job's checkpoint (<c>{final_key, upload}</c>). Azure and GCS
    /// ask the store on resume, so that is every held part. S3 resumes from the checkpoint alone (the emulator's ListParts
    /// is unusable), so a part the store finished after the last checkpoint, just before the kill, is legitimately sent again.
    /// </summary>
    Task<IReadOnlySet<string>> ResumablePartsAsync(string bucket, string key, System.Text.Json.JsonElement checkpoint) => HeldPartsAsync(bucket, key);
}

/// <summary>One upload request: it starts an upload (S3 multipart, GCS session), sends a part (S3 part, Azure block, GCS chunk) or commits the object.</summary>
public sealed record UploadStep(UploadStepKind Kind, string? Part, bool Succeeded);

public enum UploadStepKind
{
    Start,
    Part,
    Commit,
}
