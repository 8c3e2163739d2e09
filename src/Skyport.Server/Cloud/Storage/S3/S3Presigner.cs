using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace Skyport.Server.Cloud.Storage.S3;

/// <summary>
/// Presigned URLs (SigV4 in the query string) for the single-object requests Skyport sends on its own HTTP client: the
/// HEAD before a send, the GET of a small object and the PUT of one. The SDK's presigner runs its endpoint rules three or
/// four times per URL, which for small objects was ~14% of the server's CPU (bench/README.md); here the SDK presigns once
/// per bucket, and what its URL shows (where the bucket's objects live, the signing region and service) is reused for every key: the rest
/// is one SHA-256 and one HMAC. A bucket whose URL does not have the plain shape (another algorithm, more signed headers,
/// extra parameters: access points, directory buckets) keeps the SDK's presigner.
/// </summary>
/// <remarks>
/// The key goes into the path as S3 stores it, every byte outside RFC 3986's unreserved set percent-encoded and '/' kept,
/// so "." and ".." are parts of the key, not steps (the request is sent without canonicalizing its path). The SDK's own
/// URL drops the leading '/' of such a key under path-style addressing while signing it with the '/': this one keeps it.
/// </remarks>
public sealed class S3Presigner(IAmazonS3 s3, AWSCredentials credentials)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private const string SampleKey = "k";
    private const string MetadataPrefix = "x-amz-meta-";
    private readonly ConcurrentDictionary<string, BucketShape?> _buckets = new(StringComparer.Ordinal);
    private SigningKey? _signingKey;

    /// <summary>Where a bucket's objects are and how requests to them are signed, as the SDK's presigned URL showed.</summary>
    /// <param name="ObjectBase">The URL of the bucket's objects, up to and including the '/' before the key.</param>
    /// <param name="BasePath">Its path (what the canonical request starts the key's path with).</param>
    public sealed record BucketShape(string ObjectBase, string Host, string BasePath, string Region, string Service);

    /// <summary>A presigned URL for <paramref name="method"/> (HEAD, GET or PUT) of the object; it carries the credentials.</summary>
    /// <param name="headers">
    /// Headers the request will carry that the signature must cover (lower-case names: <c>content-md5</c>,
    /// <c>x-amz-meta-*</c>); S3 refuses a presigned request with an <c>x-amz-*</c> header it did not sign.
    /// </param>
    public async Task<Uri> PresignAsync(HttpMethod method, string bucket, string key, TimeSpan lifetime, IReadOnlyList<SignedHeader>? headers = null)
    {
        headers ??= [];
        if (!_buckets.TryGetValue(bucket, out var shape))
        {
            shape = ShapeOf(await SdkPresignAsync(HttpMethod.Get, bucket, SampleKey, lifetime, []));
            _buckets.TryAdd(bucket, shape);
        }
        if (shape is null)
        {
            return Parse(await SdkPresignAsync(method, bucket, key, lifetime, headers));
        }
        var keys = await credentials.GetCredentialsAsync();
        // The clock correction the SDK learned from the store's answers, under the key its presigner reads it by (the
        // endpoint's URL, which is the object base).
        return Parse(Sign(shape, method, key, CorrectClockSkew.GetCorrectedUtcNowForEndpoint(shape.ObjectBase), lifetime, keys, headers));
    }

    /// <summary>A header covered by a presigned URL's signature.</summary>
    public sealed record SignedHeader(string Name, string Value);

    private Task<string> SdkPresignAsync(HttpMethod method, string bucket, string key, TimeSpan lifetime, IReadOnlyList<SignedHeader> headers)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = method == HttpMethod.Head ? HttpVerb.HEAD : method == HttpMethod.Put ? HttpVerb.PUT : HttpVerb.GET,
            Expires = DateTime.UtcNow + lifetime,
            // The presigner says https unless told: a compatible store may listen on plain http.
            Protocol = s3.Config.UseHttp || s3.Config.ServiceURL?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            {
                request.Metadata[name[MetadataPrefix.Length..]] = value;
            }
            else
            {
                request.Headers[name] = value;
            }
        }
        return s3.GetPreSignedURLAsync(request);
    }

    /// <summary>The URL's path is used exactly as signed: System.Uri would otherwise resolve a key's "." and ".." segments.</summary>
    private static Uri Parse(string url) => new(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    /// <summary>The shape of a URL the SDK presigned for <see cref="SampleKey"/>, or null when it is not the plain one.</summary>
    internal static BucketShape? ShapeOf(string sdkUrl)
    {
        var query = sdkUrl.IndexOf('?', StringComparison.Ordinal);
        if (query < 0 || !sdkUrl.AsSpan(0, query).EndsWith("/" + SampleKey, StringComparison.Ordinal))
        {
            return null;
        }
        var parameters = QueryHelpers.ParseQuery(sdkUrl[query..]);
        string[] expected = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"];
        if (parameters.Keys.Any(name => !expected.Contains(name, StringComparer.Ordinal))
            || parameters["X-Amz-Algorithm"] != Algorithm || parameters["X-Amz-SignedHeaders"] != "host")
        {
            return null;
        }
        // access-key-id/yyyyMMdd/region/service/aws4_request
        var scope = parameters["X-Amz-Credential"].ToString().Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return null;
        }
        var objectBase = sdkUrl[..(query - SampleKey.Length)];
        var uri = new Uri(objectBase);
        var basePath = objectBase[objectBase.IndexOf('/', objectBase.IndexOf("://", StringComparison.Ordinal) + 3)..];
        return new BucketShape(objectBase, uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}", basePath, scope[2], scope[3]);
    }

    /// <summary>
    /// SigV4 query signing at <paramref name="now"/> (UTC) of a request whose headers are the host and
    /// <paramref name="headers"/>, with an unsigned payload.
    /// </summary>
    internal string Sign(BucketShape shape, HttpMethod method, string key, DateTime now, TimeSpan lifetime, ImmutableCredentials keys,
        IReadOnlyList<SignedHeader>? headers = null)
    {
        var path = Encode(key, keepSlash: true);
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var day = amzDate[..8];
        var scope = $"{day}/{shape.Region}/{shape.Service}/aws4_request";
        var canonicalHeaders = (headers ?? []).Select(h => (Name: h.Name.ToLowerInvariant(), Value: h.Value.Trim()))
            .Append((Name: "host", Value: shape.Host)).OrderBy(h => h.Name, StringComparer.Ordinal).ToList();
        var signedHeaders = string.Join(';', canonicalHeaders.Select(h => h.Name));
        // In code-point order, as the canonical query must be.
        var query = new StringBuilder(512)
            .Append("X-Amz-Algorithm=").Append(Algorithm)
            .Append("&X-Amz-Credential=").Append(Encode($"{keys.AccessKey}/{scope}", keepSlash: false))
            .Append("&X-Amz-Date=").Append(amzDate)
            .Append("&X-Amz-Expires=").Append(((long)lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        if (keys.UseToken)
        {
            query.Append("&X-Amz-Security-Token=").Append(Encode(keys.Token, keepSlash: false));
        }
        query.Append("&X-Amz-SignedHeaders=").Append(Encode(signedHeaders, keepSlash: false));

        var canonicalRequest = new StringBuilder(1024)
            .Append(method.Method).Append('\n').Append(shape.BasePath).Append(path).Append('\n').Append(query).Append('\n');
        foreach (var (name, value) in canonicalHeaders)
        {
            canonicalRequest.Append(name).Append(':').Append(value).Append('\n');
        }
        canonicalRequest.Append('\n').Append(signedHeaders).Append("\nUNSIGNED-PAYLOAD");
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest.ToString())))}";
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(SigningKeyFor(keys.SecretKey, day, shape), Encoding.UTF8.GetBytes(stringToSign)));
        return $"{shape.ObjectBase}{path}?{query}&X-Amz-Signature={signature}";
    }

    /// <summary>The day's key for the region and service (four HMACs), kept while they stay the same.</summary>
    private byte[] SigningKeyFor(string secretKey, string day, BucketShape shape)
    {
        if (_signingKey is { } known && known.Day == day && known.Region == shape.Region && known.Service == shape.Service
            && known.SecretKey == secretKey)
        {
            return known.Key;
        }
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(day));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(shape.Region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(shape.Service));
        key = HMACSHA256.HashData(key, "aws4_request"u8);
        _signingKey = new SigningKey(secretKey, day, shape.Region, shape.Service, key);
        return key;
    }

    private sealed record SigningKey(string SecretKey, string Day, string Region, string Service, byte[] Key);

    /// <summary>RFC 3986 percent-encoding of the UTF-8 bytes, as SigV4 wants it (upper-case hex; '/' kept in a path).</summary>
    internal static string Encode(string value, bool keepSlash)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var encoded = new StringBuilder(bytes.Length * 3 / 2);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                    or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~'
                || (keepSlash && b == (byte)'/'))
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return encoded.ToString();
    }
}
