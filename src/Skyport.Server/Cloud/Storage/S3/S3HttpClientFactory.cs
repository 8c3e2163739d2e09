using System.Net;
using Amazon.Runtime;

namespace Skyport.Server.Cloud.Storage.S3;

/// <summary>
/// The HTTP client of Skyport's S3 clients: the one the SDK would make (its connection limit, redirects returned rather
/// than followed, no decompression, its proxy and timeout), shared by every S3 client with the same settings as the
/// SDK's own are, with one difference: small request bodies are sent without <c>Expect: 100-continue</c>
/// (<see cref="SmallBodiesWithoutExpect"/>).
/// </summary>
internal sealed class S3HttpClientFactory : HttpClientFactory
{
    public static readonly S3HttpClientFactory Instance = new();

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (clientConfig.MaxConnectionsPerServer is { } connections)
        {
            handler.MaxConnectionsPerServer = connections;
        }
        if (clientConfig.GetWebProxy() is { } proxy)
        {
            proxy.Credentials = clientConfig.ProxyCredentials ?? proxy.Credentials;
            handler.Proxy = proxy;
        }
        var client = new HttpClient(new SmallBodiesWithoutExpect { InnerHandler = handler });
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }
        return client;
    }

    /// <summary>Clients with the same settings share their HTTP client (and its connections) process-wide, as with the SDK's default.</summary>
    public override string GetConfigUniqueString(IClientConfig clientConfig) =>
        string.Join('|', "skyport-s3", clientConfig.MaxConnectionsPerServer, clientConfig.AllowAutoRedirect, clientConfig.Timeout,
            clientConfig.GetWebProxy()?.GetProxy(new Uri("https://s3.amazonaws.com/")), clientConfig.ProxyCredentials is null);

    /// <summary>
    /// The SDK asks for <c>Expect: 100-continue</c> on every PUT and part upload, so the body waits for the store's interim
    /// answer: a round trip, and another turn of the store's request handling, per request. Waiting spares sending a body
    /// the store would refuse, which is worth it for megabytes and not for a few KiB, where it cost more than the body.
    /// Other clients draw a line too (the AWS SDK for Go v2 asks only above 2 MB; rclone never asks). The header is not
    /// signed (it is set on the HTTP message, outside what SigV4 covers), so dropping it changes nothing else.
    /// </summary>
    internal sealed class SmallBodiesWithoutExpect : DelegatingHandler
    {
        /// <summary>The largest body sent without waiting.</summary>
        public const long MaxBytes = 1 << 20;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.ExpectContinue == true && request.Content?.Headers.ContentLength <= MaxBytes)
            {
                request.Headers.ExpectContinue = false;
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
