// Skyport's own transfer path for a prefix of small objects, without its jobs, database or import: one LIST, then
// PartConcurrency-many at a time, each object read (S3ObjectStorage), hashed while written to a temporary file
// (HashingCopy), checked against its ETag and committed like a dataset's bytes (LocalDatasetStore: fsync, rename).
// bench/s3_floor.py drives it over stdin, one line per round: "<prefix> <folder>"; it answers one JSON line per round.
// Keys come from the environment (FLOOR_ACCESS_KEY_ID, FLOOR_SECRET_ACCESS_KEY, FLOOR_SESSION_TOKEN), never arguments.
using System.Diagnostics;
using System.Text.Json;
using Amazon.Runtime;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Server.Configuration;
using Skyport.Server.Datasets;
using Skyport.Server.Datasets.Storage;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: TransferFloor <endpoint> <region> <bucket>  (rounds on stdin: <prefix> <folder>)");
    return 2;
}
var (endpoint, region, bucket) = (args[0], args[1], args[2]);
var keys = new SessionAWSCredentials(Environment.GetEnvironmentVariable("FLOOR_ACCESS_KEY_ID"),
    Environment.GetEnvironmentVariable("FLOOR_SECRET_ACCESS_KEY"), Environment.GetEnvironmentVariable("FLOOR_SESSION_TOKEN"));
var options = new TransferOptions();
var connection = S3ClientFactory.Connect(new AwsCloudCredentials(keys, region, endpoint));
using var storage = new S3ObjectStorage(connection.Client, connection.Presigner, options);

while (Console.ReadLine() is { } line)
{
    var (prefix, folder) = line.Split(' ', 2) is [var p, var f] ? (p, f) : throw new FormatException($"expected \"<prefix> <folder>\", got \"{line}\"");
    var store = new LocalDatasetStore(new DataDirectory(Options.Create(new SkyportOptions { DataDir = folder })));
    var temp = Path.Combine(folder, "tmp");
    var cpu = Environment.CpuUsage.TotalTime;
    var clock = Stopwatch.StartNew();
    List<StoredObject> objects = [];
    string? page = null;
    do
    {
        var listing = await storage.ListAsync(bucket, prefix, null, 1000, page, CancellationToken.None);
        objects.AddRange(listing.Objects);
        page = listing.NextPageToken;
    } while (page is not null);
    var listed = clock.Elapsed.TotalSeconds;
    long bytes = 0;
    await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = options.PartConcurrency }, async (listed, ct) =>
    {
        var read = await storage.ReadAsync(bucket, listed.Key, ct) ?? throw new InvalidOperationException($"{listed.Key} is gone");
        var path = Path.Combine(temp, Guid.NewGuid().ToString("N"));
        CopyResult hashes;
        await using (read.Body)
        await using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.Asynchronous, BufferSize = 0 }))
        {
            hashes = await HashingCopy.CopyAsync(read.Body, file, null, ct, expectedLength: read.Object.Size);
        }
        if (hashes.Length != read.Object.Size || (read.Object.Md5 is { } md5 && md5 != hashes.Md5))
        {
            throw new InvalidDataException($"{listed.Key}: the bytes do not match the store's size or MD5");
        }
        await store.CommitAsync(path, Guid.NewGuid(), hashes, ct);
        Interlocked.Add(ref bytes, hashes.Length);
    });
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        objects = objects.Count,
        bytes,
        list_seconds = listed,
        wall_seconds = clock.Elapsed.TotalSeconds,
        cpu_seconds = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds,
    }));
}
return 0;
