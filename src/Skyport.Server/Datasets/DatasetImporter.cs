using Skyport.Server.Datasets.Storage;
using Skyport.Server.Datatypes;
using Skyport.Server.Jobs;

namespace Skyport.Server.Datasets;

/// <summary>How received bytes become a dataset: Galaxy's upload options.</summary>
public sealed record ImportOptions(string Extension, bool ToPosixLines, bool SpaceToTab, bool AutoDecompress)
{
    public const string Auto = "auto";
}

/// <summary>
/// Turns a complete file of received bytes into a job's output dataset: sniffs the datatype, optionally
/// decompresses and converts text (binary data is never altered), hashes what is stored and moves it into
/// place (commits it to the dataset store). The job then holds an <see cref="ImportedDataset"/>, which the job runner
/// marks ok with its size, MD5, SHA-256 and peek in the same transaction as the job. Any failure leaves the dataset as
/// it was (the job marks it <c>error</c>); temporary files are removed.
/// </summary>
public sealed class DatasetImporter(
    DatasetStorage storage,
    IDatasetStore store,
    DatatypeRegistry datatypes,
    DatatypeSniffer sniffer)
{
    private const long LineCountLimit = 16L << 20;

    /// <param name="job">The importing job: its output dataset receives the bytes (stored under the uuid read with its claim).</param>
    /// <param name="source">A complete file. With <paramref name="consumeSource"/> it may be moved into place rather than copied.</param>
    /// <param name="sourceHashes">Hashes of <paramref name="source"/> when already known (computed while it was received).</param>
    public async Task ImportAsync(
        JobContext job,
        string source,
        bool consumeSource,
        CopyResult? sourceHashes,
        ImportOptions options,
        Action<long>? progress,
        CancellationToken cancellationToken)
    {
        List<string> temporaries = [];
        try
        {
            var current = source;
            var extension = options.Extension == ImportOptions.Auto ? sniffer.Sniff(current) : options.Extension;
            if (options.AutoDecompress && Compression.IsGzip(current) && (extension == "gz" || !datatypes.Get(extension).IsBinary))
            {
                var decompressed = Track(temporaries, storage.NewTempPath());
                await Compression.GunzipAsync(current, decompressed, cancellationToken);
                current = decompressed;
                sourceHashes = null;
                if (options.Extension == ImportOptions.Auto)
                {
                    extension = sniffer.Sniff(current);
                }
            }
            var datatype = datatypes.Get(extension);

            string final;
            CopyResult hashes;
            if (!datatype.IsBinary && (options.ToPosixLines || options.SpaceToTab))
            {
                final = Track(temporaries, storage.NewTempPath());
                hashes = await ConvertAsync(current, final, options, progress, cancellationToken);
            }
            else if (consumeSource || current != source)
            {
                final = current;
                hashes = sourceHashes ?? await HashAsync(current, progress, cancellationToken);
            }
            else
            {
                final = Track(temporaries, storage.NewTempPath());
                await using var input = OpenSequential(current);
                await using var output = DatasetStorage.CreateTempFile(final);
                hashes = await HashingCopy.CopyAsync(input, output, progress, cancellationToken);
            }

            var peek = Peek.Make(final, datatype);
            var blurb = await BlurbAsync(final, datatype, hashes.Length, cancellationToken);
            var (datasetId, uuid) = job.Output;
            // The store verifies what it holds (size, and hashes where it reports them) and leaves nothing when that fails.
            await store.CommitAsync(final, uuid, hashes, cancellationToken);
            job.OutputImported(new ImportedDataset(datasetId, uuid, datatype.Extension, hashes, peek, blurb));
            // A local commit moved the file away; a remote one copied it, and the staged copy is no longer needed.
            if (consumeSource)
            {
                DatasetStorage.DeleteTemp(source);
            }
        }
        finally
        {
            foreach (var temporary in temporaries)
            {
                DatasetStorage.DeleteTemp(temporary);
            }
        }
    }

    private static async Task<CopyResult> ConvertAsync(string source, string destination, ImportOptions options, Action<long>? progress, CancellationToken cancellationToken)
    {
        await using var input = OpenSequential(source);
        await using var output = DatasetStorage.CreateTempFile(destination);
        // The converter writes into a pipe whose reader hashes and stores, so that conversion and hashing
        // overlap; a failure on either side completes the pipe with that error so the other side stops too.
        var pipe = new System.IO.Pipelines.Pipe();
        var convert = Task.Run(async () =>
        {
            try
            {
                await TextConversion.ConvertAsync(input, pipe.Writer.AsStream(leaveOpen: true), options.ToPosixLines, options.SpaceToTab, cancellationToken);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, cancellationToken);
        var store = Task.Run(async () =>
        {
            try
            {
                var result = await HashingCopy.CopyAsync(pipe.Reader.AsStream(leaveOpen: true), output, progress, cancellationToken);
                await pipe.Reader.CompleteAsync();
                return result;
            }
            catch (Exception e)
            {
                await pipe.Reader.CompleteAsync(e);
                throw;
            }
        }, cancellationToken);
        await Task.WhenAll(convert, store);
        return await store;
    }

    private static async Task<CopyResult> HashAsync(string path, Action<long>? progress, CancellationToken cancellationToken)
    {
        await using var input = OpenSequential(path);
        return await HashingCopy.CopyAsync(input, Stream.Null, progress, cancellationToken);
    }

    private static async Task<string> BlurbAsync(string path, Datatype datatype, long size, CancellationToken cancellationToken)
    {
        if (datatype.IsBinary || size > LineCountLimit)
        {
            return Galaxy.ByteSize.Nice(size);
        }
        await using var input = OpenSequential(path);
        var buffer = new byte[81920];
        long lines = 0;
        int read;
        var last = (byte)'\n';
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
            last = buffer[read - 1];
        }
        if (size > 0 && last != '\n')
        {
            lines++;
        }
        return lines == 1 ? "1 line" : $"{lines:N0} lines";
    }

    private static FileStream OpenSequential(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    private static string Track(List<string> temporaries, string path)
    {
        temporaries.Add(path);
        return path;
    }
}
