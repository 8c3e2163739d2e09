using System.Net;
using System.Net.Http.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// A bucket that does not exist is refused before anything is queued. Run for the stores whose emulators
/// report missing buckets (S3, Azure); the GCS emulator creates a bucket on first use, so it cannot show this.
/// </summary>
public abstract class MissingBucketTests<TFixture>(TFixture fixture) where TFixture : class, IStorageFixture
{
    private HttpClient User => fixture.User;

    [Fact]
    public async Task Get_WithMissingBucket_Returns403()
    {
        var history = await User.CreateHistoryAsync();

        var response = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket = "no-such-bucket-here", objects = new[] { "x" } });

        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Forbidden, 403002);
        Assert.Contains("Could not get the bucket `no-such-bucket-here`", message);
    }

    [Fact]
    public async Task GetOfAPrefix_WithMissingBucket_Returns403()
    {
        // The listing is the bucket's check here: its failure is still the bucket's error, not a missing object's.
        var history = await User.CreateHistoryAsync();

        var response = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket = "no-such-bucket-here", prefix = "run/" });

        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Forbidden, 403002);
        Assert.Contains("Could not get the bucket `no-such-bucket-here`", message);
    }

    [Fact]
    public async Task Send_ToMissingBucket_Returns403()
    {
        var history = await User.CreateHistoryAsync();

        var message = await GalaxyAssert.ErrorAsync(await User.PostAsJsonAsync("/api/cloud/storage/send",
            new { history_id = history, authz_id = fixture.AuthzId, bucket = "missing-bucket-x" }), HttpStatusCode.Forbidden, 403002);

        Assert.Contains("missing-bucket-x", message);
    }
}

public sealed class S3MissingBucketTests(S3Fixture fixture) : MissingBucketTests<S3Fixture>(fixture), IClassFixture<S3Fixture>;

public sealed class AzureMissingBucketTests(AzureFixture fixture) : MissingBucketTests<AzureFixture>(fixture), IClassFixture<AzureFixture>;
