using Skyport.Server.Datasets;
using Skyport.Server.Jobs;

namespace Skyport.Server.Uploads;

/// <summary>
/// The job behind an upload: takes the bytes of an upload session (or downloads a URL) and imports
/// them into the job's output dataset. A session's file is consumed only once its dataset is ok.
/// </summary>
public sealed class UploadJobHandler(
    UploadSessions sessions,
    UrlFetcher urls,
    DatasetImporter importer,
    DatasetStorage storage,
    UploadHashes hashes) : IJobHandler
{
    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var parameters = context.Parameters<UploadJobParameters>();
        if (parameters.SessionId is { } sessionId)
        {
            var path = sessions.PathFor(sessionId);
            if (!File.Exists(path))
            {
                throw new JobFailedException("The uploaded data is no longer available (the upload session expired or was removed).");
            }
            var total = new FileInfo(path).Length;
            context.ReportProgress(0, total);
            await importer.ImportAsync(context, path, consumeSource: true, hashes.TryTake(sessionId, total), parameters.Import,
                done => context.ReportProgress(Math.Min(done, total), total), cancellationToken);
            await sessions.RemoveAsync(sessionId, CancellationToken.None);
            context.ReportProgress(total, total);
            return;
        }
        if (parameters.Url is { } url)
        {
            var temp = storage.NewTempPath();
            try
            {
                var downloaded = await urls.DownloadAsync(new Uri(url), temp,
                    context.ReportProgress, cancellationToken);
                await importer.ImportAsync(context, temp, consumeSource: true, downloaded, parameters.Import, null, cancellationToken);
                context.ReportProgress(downloaded.Length, downloaded.Length);
            }
            finally
            {
                DatasetStorage.DeleteTemp(temp);
            }
            return;
        }
        throw new JobFailedException("Upload job names neither an upload session nor a URL.");
    }
}
