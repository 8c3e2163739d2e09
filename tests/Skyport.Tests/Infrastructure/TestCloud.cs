using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skyport.Tests.Infrastructure;

/// <summary>
/// The local test cloud (<c>tests/infra/test-cloud.mjs</c>): an OIDC provider, doubles of AWS STS, the Entra ID
/// token endpoint and Google STS/IAM, and S3, Azure Blob (Azurite) and GCS (firebase-tools) emulators, in one Node process on loopback ports. Tests steer it through its admin API.
/// It needs <c>tests/infra/install.sh</c> to have run and <c>SSL_CERT_FILE</c> to point at its CA bundle; ./test.sh
/// does both, and without them starting fails rather than skips.
/// </summary>
public sealed class TestCloud : IAsyncDisposable
{
    /// <summary>The OIDC client id Skyport uses; the provider puts it in the id token's aud.</summary>
    public const string ClientId = "skyport";

    // Loading firebase-tools and Azurite takes a few seconds on a quiet machine and far longer on a loaded one.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Process _process;
    private readonly StringBuilder _stderr;
    private readonly HttpClient _admin;

    private TestCloud(Process process, StringBuilder stderr, Endpoints endpoints)
    {
        _process = process;
        _stderr = stderr;
        Oidc = new Uri(endpoints.Oidc);
        Sts = new Uri(endpoints.Sts);
        Entra = new Uri(endpoints.Entra);
        GoogleSts = new Uri(endpoints.GoogleSts);
        GoogleIam = new Uri(endpoints.GoogleIam);
        S3 = new Uri(endpoints.S3);
        AzureBlob = new Uri(endpoints.AzureBlob);
        Gcs = new Uri(endpoints.Gcs);
        Admin = new Uri(endpoints.Admin);
        _admin = new HttpClient { BaseAddress = Admin, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The OIDC provider's base URL; also its issuer (<see cref="Issuer"/>).</summary>
    public Uri Oidc { get; }
    public Uri Sts { get; }
    /// <summary>HTTPS; the Azure.Identity authority host.</summary>
    public Uri Entra { get; }
    public Uri GoogleSts { get; }
    public Uri GoogleIam { get; }
    /// <summary>The S3 emulator (path-style, SigV4 with keys the STS double issued).</summary>
    public Uri S3 { get; }
    /// <summary>Azurite's blob service account URL, <c>https://127.0.0.1:P/devstoreaccount1</c> (bearer tokens signed by the Entra double).</summary>
    public Uri AzureBlob { get; }
    /// <summary>The GCS emulator's root, <c>http://127.0.0.1:P</c> (bearer tokens the Google STS or IAM double issued).</summary>
    public Uri Gcs { get; }
    public Uri Admin { get; }

    /// <summary>The iss of the provider's tokens: its URL without a trailing slash.</summary>
    public string Issuer => Oidc.GetLeftPart(UriPartial.Authority);

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string InfraDir => Path.Combine(RepoRoot, "tests", "infra");
    public static string CaBundlePath => Path.Combine(InfraDir, ".certs", "ca-bundle.pem");

    public static async Task<TestCloud> StartAsync(CancellationToken ct = default)
    {
        EnsureInstalled();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = InfraDir,
            RedirectStandardInput = true, // the process exits when this pipe closes, so it cannot outlive the tests
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(InfraDir, "test-cloud.mjs"));
        // The S3 emulator pages listings with DES, which Node's OpenSSL 3 has only in its legacy provider; without the
        // flag the script would start itself again with it, costing a second Node process.
        start.Environment["NODE_OPTIONS"] = $"{Environment.GetEnvironmentVariable("NODE_OPTIONS")} --openssl-legacy-provider".Trim();
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"The test cloud printed nothing within {StartTimeout.TotalSeconds} s. Its stderr:\n{Text(stderr)}");
            }
            if (line is null)
            {
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
                throw new InvalidOperationException($"The test cloud exited ({process.ExitCode}) before it was ready. Its stderr:\n{Text(stderr)}");
            }
            var endpoints = JsonSerializer.Deserialize<Endpoints>(line, Json)
                ?? throw new InvalidOperationException($"The test cloud printed an unexpected line: {line}");
            // Keep draining stdout so that anything printed later never blocks the process.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            return new TestCloud(process, stderr, endpoints);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    private static void EnsureInstalled()
    {
        if (!Directory.Exists(Path.Combine(InfraDir, "node_modules", "oauth2-mock-server"))
            || !Directory.Exists(Path.Combine(InfraDir, "node_modules", "@20minutes", "s3rver"))
            || !Directory.Exists(Path.Combine(InfraDir, "node_modules", "azurite"))
            || !Directory.Exists(Path.Combine(InfraDir, "node_modules", "firebase-tools"))
            || !File.Exists(CaBundlePath))
        {
            throw new InvalidOperationException(
                $"The test cloud is not installed ({InfraDir}/node_modules or .certs is missing). Run ./test.sh, which runs tests/infra/install.sh.");
        }
        // OpenSSL reads SSL_CERT_FILE at process start, so it cannot be fixed from here; without it the HTTPS doubles fail.
        var certificate = File.ReadAllText(Path.Combine(InfraDir, ".certs", "cert.pem")).Trim();
        var bundle = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
        if (string.IsNullOrEmpty(bundle) || !File.Exists(bundle) || !File.ReadAllText(bundle).Contains(certificate, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"SSL_CERT_FILE must point at {CaBundlePath} (it is '{bundle}'), so that .NET trusts the test cloud's certificate. Run ./test.sh, which exports it.");
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skyport.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Skyport.slnx above {AppContext.BaseDirectory}.");
    }

    /// <summary>What the test cloud wrote to stderr so far; for failure messages.</summary>
    public string Log => Text(_stderr);

    private static string Text(StringBuilder stderr)
    {
        lock (stderr)
        {
            return stderr.ToString();
        }
    }

    // ---- OIDC provider ----

    /// <summary>Sets the claims of id tokens for logins from now on (until changed or reset); unset fields keep their defaults.</summary>
    public Task SetClaimsAsync(OidcClaims claims, CancellationToken ct = default) => PostAsync("/oidc/claims", claims, ct);

    public async Task ResetClaimsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/oidc/claims", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>An id token signed by the provider without a login (aud defaults to <see cref="ClientId"/>).</summary>
    public async Task<string> MintIdTokenAsync(OidcClaims? claims = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/oidc/tokens", claims ?? new OidcClaims(), ct);
        return body.GetProperty("id_token").GetString()!;
    }

    /// <summary>Makes the next refresh fail with invalid_grant: of <paramref name="refreshToken"/> only, or else of any token.</summary>
    public Task FailNextRefreshAsync(string? refreshToken = null, CancellationToken ct = default) =>
        PostAsync("/oidc/refresh-failures", new { refresh_token = refreshToken }, ct);

    /// <summary>Logs in through authorization code + PKCE (S256), as a browser following the provider's redirect would.</summary>
    public async Task<OidcTokens> LoginAsync(string clientId = ClientId, string redirectUri = "http://127.0.0.1/signin-oidc",
        string scope = "openid email profile offline_access", CancellationToken ct = default)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var discovery = await http.GetFromJsonAsync<JsonElement>(new Uri(Oidc, "/.well-known/openid-configuration"), ct);
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var nonce = Base64Url(RandomNumberGenerator.GetBytes(16));
        var authorize = discovery.GetProperty("authorization_endpoint").GetString() + "?" + Query(new()
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = redirectUri, ["scope"] = scope,
            ["state"] = state, ["nonce"] = nonce, ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        });
        using var redirect = await http.GetAsync(authorize, ct);
        if (redirect.StatusCode != HttpStatusCode.Found || redirect.Headers.Location is null)
        {
            throw new InvalidOperationException($"/authorize answered {(int)redirect.StatusCode}: {await redirect.Content.ReadAsStringAsync(ct)}");
        }
        var callback = ParseQuery(redirect.Headers.Location.Query);
        if (callback.GetValueOrDefault("state") != state || !callback.TryGetValue("code", out var code))
        {
            throw new InvalidOperationException($"Unexpected redirect {redirect.Headers.Location}");
        }
        var tokens = await TokenRequestAsync(http, discovery.GetProperty("token_endpoint").GetString()!, new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId, ["code_verifier"] = verifier,
        }, ct);
        return tokens;
    }

    /// <summary>Refreshes; throws <see cref="OidcTokenException"/> (e.g. invalid_grant) when the provider refuses.</summary>
    public async Task<OidcTokens> RefreshAsync(string refreshToken, string clientId = ClientId, CancellationToken ct = default)
    {
        using var http = new HttpClient();
        return await TokenRequestAsync(http, new Uri(Oidc, "/token").ToString(), new()
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = clientId,
        }, ct);
    }

    private static async Task<OidcTokens> TokenRequestAsync(HttpClient http, string tokenEndpoint, Dictionary<string, string> form, CancellationToken ct)
    {
        using var response = await http.PostAsync(tokenEndpoint, new FormUrlEncodedContent(form), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        if (!response.IsSuccessStatusCode)
        {
            var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
            throw new OidcTokenException((int)response.StatusCode, error ?? "unknown", text);
        }
        return new OidcTokens(
            root.GetProperty("id_token").GetString()!,
            root.GetProperty("access_token").GetString()!,
            root.TryGetProperty("refresh_token", out var r) ? r.GetString() : null,
            root.GetProperty("expires_in").GetInt32());
    }

    // ---- Token-service doubles ----

    public Task RegisterAwsRoleAsync(AwsRole role, CancellationToken ct = default) => PostAsync("/sts/roles", role, ct);

    /// <summary>The temporary keys the STS double has issued (without their secrets).</summary>
    public async Task<IReadOnlyList<IssuedAwsKey>> IssuedAwsKeysAsync(CancellationToken ct = default)
    {
        var body = await _admin.GetFromJsonAsync<JsonElement>("/sts/issued", ct);
        return body.GetProperty("issued").Deserialize<List<IssuedAwsKey>>(Json)!;
    }

    public Task RegisterEntraAppAsync(EntraApp app, CancellationToken ct = default) => PostAsync("/entra/apps", app, ct);

    /// <summary>An access token signed by the Entra double without a token request; a negative <paramref name="expiresIn"/> gives one that has expired.</summary>
    public async Task<string> MintEntraAccessTokenAsync(string tenantId, string clientId, string resource = "https://storage.azure.com",
        int expiresIn = 3599, CancellationToken ct = default)
    {
        var body = await PostAsync("/entra/tokens", new { tenant_id = tenantId, client_id = clientId, resource, expires_in = expiresIn }, ct);
        return body.GetProperty("access_token").GetString()!;
    }

    public Task RegisterGooglePoolAsync(GooglePool pool, CancellationToken ct = default) => PostAsync("/google/pools", pool, ct);

    /// <summary>Members: <c>principal://iam.googleapis.com/.../subject/SUB</c>, <c>principalSet://.../*</c>, or a bare subject.</summary>
    public Task RegisterGoogleServiceAccountAsync(string email, IEnumerable<string> members, CancellationToken ct = default) =>
        PostAsync("/google/service-accounts", new { email, members }, ct);

    // ---- S3 emulator (setup and faults bypass authentication) ----

    public Task CreateBucketAsync(string bucket, CancellationToken ct = default) => PostAsync("/s3/buckets", new { name = bucket }, ct);

    /// <summary>Stores an object as a PUT would (ETag = MD5); <paramref name="metadata"/> names become x-amz-meta-*.</summary>
    public async Task<S3StoredObject> PutS3ObjectAsync(string bucket, string key, byte[] content, string? contentType = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/s3/objects", new { bucket, key, content_base64 = Convert.ToBase64String(content), content_type = contentType, metadata }, ct);
        return body.Deserialize<S3StoredObject>(Json)!;
    }

    /// <summary>Flips one stored byte (the middle one unless <paramref name="offset"/> says) while size, ETag and metadata stay as recorded.</summary>
    public async Task<long> CorruptS3ObjectAsync(string bucket, string key, long? offset = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/s3/objects/corrupt", new { bucket, key, offset }, ct);
        return body.GetProperty("offset").GetInt64();
    }

    /// <summary>Every request on the bucket (including as a copy source) answers 403 AccessDenied, as under a denying bucket policy.</summary>
    public Task DenyS3BucketAsync(string bucket, CancellationToken ct = default) => PostAsync("/s3/denied-buckets", new { bucket }, ct);

    public async Task AllowS3BucketAsync(string bucket, CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync($"/s3/denied-buckets/{Uri.EscapeDataString(bucket)}", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>
    /// The emulator resets the connection of requests without answering: the next <paramref name="requests"/> of them,
    /// or all for <paramref name="duration"/> (or both limits), after letting <paramref name="after"/> requests through.
    /// </summary>
    public Task DropS3ConnectionsAsync(int? requests = null, TimeSpan? duration = null, int after = 0, CancellationToken ct = default) =>
        PostAsync("/s3/faults/drop", new { requests, seconds = duration?.TotalSeconds, after }, ct);

    /// <summary>Closes the emulator's listener (and its open connections) so that connecting is refused, and listens again after <paramref name="duration"/>.</summary>
    public Task RefuseS3ConnectionsAsync(TimeSpan duration, CancellationToken ct = default) =>
        PostAsync("/s3/faults/refuse", new { seconds = duration.TotalSeconds }, ct);

    /// <summary>The next <paramref name="requests"/> requests (after <paramref name="after"/>) answer 503 SlowDown or 500 InternalError.</summary>
    /// <param name="operations">When given, only requests of these operations (as the request log names them) fail, and count.</param>
    public Task FailS3RequestsAsync(S3Failure failure, int requests, int after = 0, IReadOnlyList<string>? operations = null, CancellationToken ct = default) =>
        PostAsync("/s3/faults/errors", new { status = (int)failure, requests, after, operations }, ct);

    /// <summary>
    /// Matching requests wait <paramref name="delay"/> before the emulator serves them (credentials are checked on arrival):
    /// the next <paramref name="requests"/> and/or those within <paramref name="duration"/> of the first delayed one, after
    /// letting <paramref name="after"/> through; with neither limit, every request until <see cref="ClearS3FaultsAsync"/>.
    /// </summary>
    public Task DelayS3RequestsAsync(TimeSpan delay, int? requests = null, TimeSpan? duration = null, int after = 0, CancellationToken ct = default) =>
        PostAsync("/s3/faults/latency", new { ms = (int)delay.TotalMilliseconds, requests, seconds = duration?.TotalSeconds, after }, ct);

    /// <summary>The requests the emulator has seen (of <paramref name="bucket"/>/<paramref name="key"/> when given), oldest first, with their outcome.</summary>
    public async Task<IReadOnlyList<S3Request>> S3RequestsAsync(string? bucket = null, string? key = null, CancellationToken ct = default)
    {
        var query = string.Join('&', new[] { ("bucket", bucket), ("key", key) }.Where(p => p.Item2 is not null)
            .Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        var body = await _admin.GetFromJsonAsync<JsonElement>($"/s3/requests?{query}", ct);
        return body.GetProperty("requests").Deserialize<List<S3Request>>(Json)!;
    }

    /// <summary>Forgets the requests seen so far (the log starts again empty).</summary>
    public async Task ClearS3RequestsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/s3/requests", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>Multipart uploads started and neither completed nor aborted (S3's ListMultipartUploads, which the emulator lacks).</summary>
    public async Task<IReadOnlyList<S3MultipartUpload>> S3MultipartUploadsAsync(string? bucket = null, CancellationToken ct = default)
    {
        var body = await _admin.GetFromJsonAsync<JsonElement>(bucket is null ? "/s3/multipart-uploads" : $"/s3/multipart-uploads?bucket={Uri.EscapeDataString(bucket)}", ct);
        return body.GetProperty("uploads").Deserialize<List<S3MultipartUpload>>(Json)!;
    }

    /// <summary>Test-only: AWS keys the STS double issues from now on expire <paramref name="lifetime"/> after issuance, whatever was asked (null: as asked).</summary>
    public async Task SetAwsKeyLifetimeAsync(TimeSpan? lifetime, CancellationToken ct = default)
    {
        if (lifetime is { } value)
        {
            await PostAsync("/sts/lifetime", new { seconds = (int)value.TotalSeconds }, ct);
            return;
        }
        using var response = await _admin.DeleteAsync("/sts/lifetime", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>Ends every injected fault at once (and listens again if refusing).</summary>
    public async Task ClearS3FaultsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/s3/faults", ct);
        await EnsureAdminOkAsync(response);
    }

    // ---- Azure Blob emulator (Azurite; setup and faults bypass authentication) ----

    /// <summary>Creates a container (no error if it exists).</summary>
    public Task CreateAzureContainerAsync(string container, CancellationToken ct = default) => PostAsync("/azure/containers", new { name = container }, ct);

    /// <summary>Stores a block blob through Put Blob (Azurite records its Content-MD5); <paramref name="metadata"/> names become x-ms-meta-*.</summary>
    public async Task<AzureStoredBlob> PutAzureBlobAsync(string container, string name, byte[] content, string? contentType = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/azure/blobs", new { container, name, content_base64 = Convert.ToBase64String(content), content_type = contentType, metadata }, ct);
        return body.Deserialize<AzureStoredBlob>(Json)!;
    }

    /// <summary>Flips one stored byte (the middle one unless <paramref name="offset"/> says) while size, ETag, Content-MD5 and metadata stay as recorded.</summary>
    public async Task<long> CorruptAzureBlobAsync(string container, string name, long? offset = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/azure/blobs/corrupt", new { container, name, offset }, ct);
        return body.GetProperty("offset").GetInt64();
    }

    public async Task DeleteAzureBlobAsync(string container, string name, CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync($"/azure/blobs/{Uri.EscapeDataString(container)}/{Uri.EscapeDataString(name)}", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>As <see cref="DropS3ConnectionsAsync"/>, for the Azure Blob emulator.</summary>
    public Task DropAzureConnectionsAsync(int? requests = null, TimeSpan? duration = null, int after = 0, CancellationToken ct = default) =>
        PostAsync("/azure/faults/drop", new { requests, seconds = duration?.TotalSeconds, after }, ct);

    public Task RefuseAzureConnectionsAsync(TimeSpan duration, CancellationToken ct = default) =>
        PostAsync("/azure/faults/refuse", new { seconds = duration.TotalSeconds }, ct);

    /// <summary>The next <paramref name="requests"/> requests (after <paramref name="after"/>) answer 503 ServerBusy or 500 InternalError.</summary>
    /// <param name="operations">When given, only requests of these operations (as the request log names them) fail, and count.</param>
    public Task FailAzureRequestsAsync(StorageFailure failure, int requests, int after = 0, IReadOnlyList<string>? operations = null, CancellationToken ct = default) =>
        PostAsync("/azure/faults/errors", new { status = (int)failure, requests, after, operations }, ct);

    public async Task ClearAzureFaultsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/azure/faults", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>As <see cref="DelayS3RequestsAsync"/>, for the Azure Blob emulator (faults are checked first, then the token, then the wait).</summary>
    public Task DelayAzureRequestsAsync(TimeSpan delay, int? requests = null, TimeSpan? duration = null, int after = 0, CancellationToken ct = default) =>
        PostAsync("/azure/faults/latency", new { ms = (int)delay.TotalMilliseconds, requests, seconds = duration?.TotalSeconds, after }, ct);

    /// <summary>The requests the Azure Blob emulator has seen (of <paramref name="container"/>/<paramref name="blob"/> when given), oldest first.</summary>
    public async Task<IReadOnlyList<AzureRequest>> AzureRequestsAsync(string? container = null, string? blob = null, CancellationToken ct = default)
    {
        var body = await _admin.GetFromJsonAsync<JsonElement>($"/azure/requests?{AdminQuery(("container", container), ("blob", blob))}", ct);
        return body.GetProperty("requests").Deserialize<List<AzureRequest>>(Json)!;
    }

    public async Task ClearAzureRequestsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/azure/requests", ct);
        await EnsureAdminOkAsync(response);
    }

    // ---- GCS emulator (setup and faults bypass authentication; buckets exist once used) ----

    /// <summary>Stores an object as an upload would (md5Hash, crc32c); <paramref name="metadata"/> becomes its custom metadata.</summary>
    public async Task<GcsStoredObject> PutGcsObjectAsync(string bucket, string name, byte[] content, string? contentType = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/gcs/objects", new { bucket, name, content_base64 = Convert.ToBase64String(content), content_type = contentType, metadata }, ct);
        return body.Deserialize<GcsStoredObject>(Json)!;
    }

    /// <summary>Flips one stored byte (the middle one unless <paramref name="offset"/> says) while size, md5Hash, crc32c and metadata stay as recorded.</summary>
    public async Task<long> CorruptGcsObjectAsync(string bucket, string name, long? offset = null, CancellationToken ct = default)
    {
        var body = await PostAsync("/gcs/objects/corrupt", new { bucket, name, offset }, ct);
        return body.GetProperty("offset").GetInt64();
    }

    /// <summary>As <see cref="DropS3ConnectionsAsync"/>, for the GCS emulator.</summary>
    public Task DropGcsConnectionsAsync(int? requests = null, TimeSpan? duration = null, int after = 0, CancellationToken ct = default) =>
        PostAsync("/gcs/faults/drop", new { requests, seconds = duration?.TotalSeconds, after }, ct);

    public Task RefuseGcsConnectionsAsync(TimeSpan duration, CancellationToken ct = default) =>
        PostAsync("/gcs/faults/refuse", new { seconds = duration.TotalSeconds }, ct);

    /// <summary>The next <paramref name="requests"/> requests (after <paramref name="after"/>) answer 503 or 500 (reason backendError).</summary>
    /// <param name="operations">When given, only requests of these operations (as the request log names them) fail, and count.</param>
    public Task FailGcsRequestsAsync(StorageFailure failure, int requests, int after = 0, IReadOnlyList<string>? operations = null, CancellationToken ct = default) =>
        PostAsync("/gcs/faults/errors", new { status = (int)failure, requests, after, operations }, ct);

    public async Task ClearGcsFaultsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/gcs/faults", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>As <see cref="DelayS3RequestsAsync"/>, for the GCS emulator.</summary>
    public Task DelayGcsRequestsAsync(TimeSpan delay, int? requests = null, TimeSpan? duration = null, int after = 0, CancellationToken ct = default) =>
        PostAsync("/gcs/faults/latency", new { ms = (int)delay.TotalMilliseconds, requests, seconds = duration?.TotalSeconds, after }, ct);

    /// <summary>The requests the GCS emulator has seen (of <paramref name="bucket"/>/<paramref name="name"/> when given), oldest first.</summary>
    public async Task<IReadOnlyList<GcsRequest>> GcsRequestsAsync(string? bucket = null, string? name = null, CancellationToken ct = default)
    {
        var body = await _admin.GetFromJsonAsync<JsonElement>($"/gcs/requests?{AdminQuery(("bucket", bucket), ("name", name))}", ct);
        return body.GetProperty("requests").Deserialize<List<GcsRequest>>(Json)!;
    }

    public async Task ClearGcsRequestsAsync(CancellationToken ct = default)
    {
        using var response = await _admin.DeleteAsync("/gcs/requests", ct);
        await EnsureAdminOkAsync(response);
    }

    /// <summary>Resumable upload sessions of <paramref name="bucket"/>/<paramref name="name"/>: bytes received and status.</summary>
    public async Task<IReadOnlyList<GcsUpload>> GcsUploadsAsync(string? bucket = null, string? name = null, CancellationToken ct = default)
    {
        var body = await _admin.GetFromJsonAsync<JsonElement>($"/gcs/uploads?{AdminQuery(("bucket", bucket), ("name", name))}", ct);
        return body.GetProperty("uploads").Deserialize<List<GcsUpload>>(Json)!;
    }

    private static string AdminQuery(params (string Name, string? Value)[] parameters) =>
        string.Join('&', parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));

    private async Task<JsonElement> PostAsync<T>(string path, T body, CancellationToken ct)
    {
        using var response = await _admin.PostAsJsonAsync(path, body, Json, ct);
        return await EnsureAdminOkAsync(response);
    }

    private static async Task<JsonElement> EnsureAdminOkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Test cloud admin {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {text}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    // ---- Helpers for tests ----

    /// <summary>The claims of a JWT, unverified.</summary>
    public static JsonElement ClaimsOf(string jwt)
    {
        var payload = jwt.Split('.')[1];
        return JsonDocument.Parse(FromBase64Url(payload)).RootElement.Clone();
    }

    /// <summary>The same token with one signature character changed (so the signature no longer verifies).</summary>
    public static string TamperSignature(string jwt)
    {
        var parts = jwt.Split('.');
        var signature = FromBase64Url(parts[2]);
        signature[signature.Length / 2] ^= 0x01;
        return $"{parts[0]}.{parts[1]}.{Base64Url(signature)}";
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static string Query(Dictionary<string, string> values) =>
        string.Join('&', values.Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value)}"));

    private static Dictionary<string, string> ParseQuery(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "");

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        try
        {
            _process.StandardInput.Close(); // the process shuts down when its stdin closes
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(3));
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            Kill(_process);
        }
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(3000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private sealed record Endpoints(string Oidc, string Sts, string Entra, string GoogleSts, string GoogleIam, string S3, string AzureBlob, string Gcs, string Admin);
}

/// <summary>One test cloud per test class (xunit class fixture).</summary>
public sealed class TestCloudFixture : IAsyncLifetime
{
    private TestCloud? _cloud;

    public TestCloud Cloud => _cloud ?? throw new InvalidOperationException("Test cloud not started.");

    public async Task InitializeAsync() => _cloud = await TestCloud.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}

/// <summary>
/// Claims of the provider's id tokens. <paramref name="ExpiresIn"/>: seconds from now (negative: already expired);
/// <paramref name="Iss"/> overrides the issuer (the token is still signed by this provider); <paramref name="Claims"/> adds any others.
/// </summary>
public sealed record OidcClaims(
    string? Sub = null,
    string? Email = null,
    string? Aud = null,
    string? Iss = null,
    int? ExpiresIn = null,
    int? NbfOffset = null,
    string? Name = null,
    IReadOnlyDictionary<string, object>? Claims = null);

public sealed record OidcTokens(string IdToken, string AccessToken, string? RefreshToken, int ExpiresIn);

public sealed class OidcTokenException(int status, string error, string body)
    : Exception($"The token endpoint answered {status} {error}: {body}")
{
    public int Status { get; } = status;
    public string Error { get; } = error;
}

/// <summary>A role whose trust policy admits web identities from <paramref name="Issuer"/> for <paramref name="Audience"/> (and only <paramref name="Subject"/>, if set).</summary>
public sealed record AwsRole(string RoleArn, string Issuer, string Audience, string? Subject = null, int MaxSessionSeconds = 3600);

public sealed record IssuedAwsKey(string AccessKeyId, string Expiration, string RoleArn, string AccountId, string Subject, string SessionName);

/// <summary>An app registration; <paramref name="Federated"/> are its federated identity credentials.</summary>
public sealed record EntraApp(string TenantId, string ClientId, string? ClientSecret = null, IReadOnlyList<FederatedCredential>? Federated = null);

/// <summary>Audience defaults to Azure's api://AzureADTokenExchange.</summary>
public sealed record FederatedCredential(string Issuer, string Subject, string? Audience = null);

/// <summary><paramref name="Audience"/> is the provider's full name, //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X.
/// Without <paramref name="AllowedAudiences"/>, tokens must be for https: + that name, as Google's default.</summary>
public sealed record GooglePool(string Audience, string Issuer, IReadOnlyList<string>? AllowedAudiences = null);

/// <param name="Etag">Quoted, as S3 sends it: <c>"md5-hex"</c>.</param>
public sealed record S3StoredObject(string Etag, long Size);

/// <summary>
/// One request the S3 emulator saw. <paramref name="Operation"/>: S3's name (GetObject, HeadObject, PutObject, UploadPart,
/// CreateMultipartUpload, CompleteMultipartUpload, AbortMultipartUpload, ListParts, ...). <paramref name="Status"/> is null
/// while unanswered or when the connection was dropped; <paramref name="Fault"/> says "dropped" or "error" when injected.
/// <paramref name="Expect"/> is the request's Expect header ("100-continue" when the client waited before sending the body).
/// </summary>
public sealed record S3Request(string Operation, string Method, string? Bucket, string? Key, string? UploadId, int? PartNumber,
    string? Range, string At, int? Status, string? Fault, int? DelayedMs, string? Expect = null)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

public sealed record S3MultipartUpload(string Bucket, string? Key, string UploadId);

/// <summary>Injected S3 error answers; the value is the HTTP status.</summary>
public enum S3Failure
{
    InternalError = 500,
    SlowDown = 503,
}

/// <param name="Etag">Quoted, as Azure sends it.</param>
/// <param name="ContentMd5">Base64, as in the Content-MD5 header.</param>
public sealed record AzureStoredBlob(string Etag, long Size, string ContentMd5);

/// <param name="Md5Hash">Base64, as the JSON API shows it.</param>
/// <param name="Crc32c">Base64 of the big-endian CRC32C, as the JSON API shows it.</param>
public sealed record GcsStoredObject(long Size, string Md5Hash, string Crc32c, string Generation);

/// <summary>
/// One request the Azure Blob emulator saw. <paramref name="Operation"/>: the REST API's name (GetBlob, GetBlobProperties,
/// PutBlob, PutBlock, PutBlockList, GetBlockList, DeleteBlob, ListBlobs, ...); <paramref name="BlockId"/> as sent (base64).
/// </summary>
public sealed record AzureRequest(string Operation, string Method, string? Container, string? Blob, string? BlockId, string? Range,
    string At, int? Status, string? Fault, int? DelayedMs)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>
/// One request the GCS emulator saw. <paramref name="Operation"/>: GetObject, DownloadObject, ListObjects, InitiateResumableUpload,
/// UploadChunk, QueryUpload, CancelUpload, DeleteObject, ...; <paramref name="ContentRange"/> as sent with a chunk ("bytes a-b/total").
/// </summary>
public sealed record GcsRequest(string Operation, string Method, string? Bucket, string? Name, string? UploadId, string? ContentRange, string? Range,
    string At, int? Status, string? Fault, int? DelayedMs)
{
    /// <summary>2xx, or 308 (a chunk the session kept while more are expected).</summary>
    public bool Succeeded => Status is (>= 200 and < 300) or 308;
}

/// <param name="Status">active, final or cancelled.</param>
public sealed record GcsUpload(string UploadId, string Bucket, string Name, long Size, string Status);

/// <summary>Injected error answers of the Azure and GCS emulators; the value is the HTTP status (503: Azure ServerBusy, GCS backendError).</summary>
public enum StorageFailure
{
    InternalError = 500,
    ServiceUnavailable = 503,
}
