using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace Skyport.Server.Cloud.Storage.S3;

/// <summary>An S3 client whose pipeline (this client's only, not every S3 client's in the process) has <see cref="S3CompatibilityHandler"/>.</summary>
internal sealed class CompatibleS3Client(AWSCredentials credentials, AmazonS3Config config) : AmazonS3Client(credentials, config)
{
    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Signer>(new S3CompatibilityHandler());
    }
}

/// <summary>
/// Makes requests to S3-compatible stores look like what they understand. Runs immediately before the signer, because
/// earlier handlers re-enable chunk encoding and the signature must cover the rewritten headers.
/// </summary>
internal sealed class S3CompatibilityHandler : PipelineHandler
{
    private const string CopySourceHeader = "x-amz-copy-source";

    public override void InvokeSync(IExecutionContext executionContext)
    {
        Adjust(executionContext.RequestContext.Request);
        base.InvokeSync(executionContext);
    }

    public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        Adjust(executionContext.RequestContext.Request);
        return base.InvokeAsync<T>(executionContext);
    }

    private static void Adjust(IRequest request)
    {
        // aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are stored verbatim, framing and all, by stores
        // that do not implement them; a plain body signed with its SHA-256 works everywhere.
        request.UseChunkEncoding = false;
        if (request.Headers.TryGetValue(CopySourceHeader, out var copySource))
        {
            request.Headers[CopySourceHeader] = EncodeCopySource(copySource);
        }
    }

    /// <summary>
    /// <c>bucket/key[?versionId=v]</c> with each path segment percent-encoded (RFC 3986) and the slashes literal, as the
    /// AWS CLI sends it: compatible stores that URI-decode the header (not component-decode it) would otherwise look
    /// for a key containing <c>%2F</c>.
    /// </summary>
    internal static string EncodeCopySource(string value)
    {
        var query = value.IndexOf('?');
        var path = Uri.UnescapeDataString(query < 0 ? value : value[..query]);
        return string.Join('/', path.Split('/').Select(Uri.EscapeDataString)) + (query < 0 ? "" : value[query..]);
    }
}
