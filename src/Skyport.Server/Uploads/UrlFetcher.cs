using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Skyport.Server.Datasets;
using Skyport.Server.Jobs;

namespace Skyport.Server.Uploads;

/// <summary>
/// Downloads a URL to a file. The address check happens when each connection is made (including
/// after redirects), so a name that resolves differently between the request and the fetch cannot
/// slip through.
/// </summary>
public sealed class UrlFetcher(IHttpClientFactory clients, IOptions<UploadOptions> options)
{
    public const string ClientName = "url-fetch";

    public async Task<CopyResult> DownloadAsync(Uri url, string destination, Action<long, long?> progress, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is JobFailedException refused)
        {
            throw refused;
        }
        using var _ = response;
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            var message = $"Fetching {UrlGuard.Shorten(url.ToString())} failed: HTTP {status} {response.ReasonPhrase}.";
            throw status >= 500 || status == 429 || status == 408 ? new TransientJobException(message) : new JobFailedException(message);
        }
        var expected = response.Content.Headers.ContentLength;
        if (expected > options.Value.MaxUploadBytes)
        {
            throw new JobFailedException($"The URL's content ({expected} bytes) exceeds the upload limit of {options.Value.MaxUploadBytes} bytes.");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var file = DatasetStorage.CreateTempFile(destination);
        var result = await HashingCopy.CopyAsync(body, file, done =>
        {
            if (done > options.Value.MaxUploadBytes)
            {
                throw new JobFailedException($"The URL's content exceeds the upload limit of {options.Value.MaxUploadBytes} bytes.");
            }
            progress(done, expected);
        }, cancellationToken, expectedLength: expected);
        if (expected is { } length && result.Length != length)
        {
            throw new TransientJobException($"Fetching {UrlGuard.Shorten(url.ToString())} ended after {result.Length} of {length} bytes.");
        }
        return result;
    }

    /// <summary>The handler behind <see cref="ClientName"/>: guarded connections, bounded redirects, no cookies.</summary>
    public static SocketsHttpHandler CreateHandler(IOptions<UploadOptions> options) => new()
    {
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(options.Value.UrlTimeoutSeconds),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = IPAddress.TryParse(context.DnsEndPoint.Host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = options.Value.AllowPrivateUrls ? addresses : addresses.Where(UrlGuard.IsPublic).ToArray();
            if (allowed.Length == 0)
            {
                throw new JobFailedException($"Refusing to connect to {context.DnsEndPoint.Host}: it resolves to a loopback, private or link-local address.");
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
