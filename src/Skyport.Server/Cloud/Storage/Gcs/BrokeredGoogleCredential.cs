using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Http;

namespace Skyport.Server.Cloud.Storage.Gcs;

/// <summary>Gives the Google client library the broker's access tokens (renewed and recorded by the broker), as a bearer header on each request.</summary>
internal sealed class BrokeredGoogleCredential(Func<CancellationToken, Task<string>> accessToken) : ICredential, IHttpExecuteInterceptor
{
    public void Initialize(ConfigurableHttpClient httpClient) => httpClient.MessageHandler.AddExecuteInterceptor(this);

    public Task<string> GetAccessTokenForRequestAsync(string? authUri = null, CancellationToken cancellationToken = default) => accessToken(cancellationToken);

    public async Task InterceptAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await accessToken(cancellationToken));
}
