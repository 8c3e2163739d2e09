namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// Undoes a send that ends unfinished (cancelled, or failed for good), for the worker that ran it and for a cancel of a
/// job no worker holds alike. First the store's own abort (S3 multipart upload, Azure staged blocks, GCS session);
/// then, when the key was free before the send, an object carrying the send's SHA-256 is removed: its commit (S3's
/// complete, Azure's block list, GCS's last chunk) reached the store although the client gave up on it. An object that
/// was there before the send, or that is not the send's, is never removed.
/// </summary>
internal static class UnfinishedSend
{
    public static async Task AbortAsync(IObjectStorage storage, string bucket, CloudSendJobHandler.SendCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        if (checkpoint.Upload is { } upload)
        {
            await storage.AbortUploadAsync(bucket, checkpoint.FinalKey, upload, cancellationToken);
        }
        if (checkpoint is { KeyWasFree: true, Sha256: { } sha256 }
            && await storage.HeadAsync(bucket, checkpoint.FinalKey, cancellationToken) is { } landed && landed.Sha256 == sha256)
        {
            await storage.DeleteAsync(bucket, checkpoint.FinalKey, cancellationToken);
        }
    }
}
