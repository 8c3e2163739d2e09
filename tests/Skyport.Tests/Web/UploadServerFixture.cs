using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Web;

/// <summary>
/// A server for the upload page's browser tests: URL fetches from loopback are allowed (the admin setting
/// <c>Skyport:Uploads:AllowPrivateUrls</c>), and a <see cref="TusTap"/> in front of the pipeline records the TUS
/// requests the server receives and can cut one PATCH's connection part way through its body.
/// </summary>
public sealed class UploadServerFixture : IAsyncLifetime
{
    private SkyportServer? _server;

    public SkyportServer Server => _server ?? throw new InvalidOperationException("Server not started.");
    public TusTap Tus { get; } = new();

    public async Task InitializeAsync() => _server = await SkyportServer.StartAsync(new Dictionary<string, string?>
    {
        ["Skyport:Uploads:AllowPrivateUrls"] = "true",
    }, configure: builder => builder.Services.AddSingleton<IStartupFilter>(Tus));

    /// <summary>A new local account, for signing in on the sign-in page.</summary>
    public async Task<(string Email, string Password)> NewAccountAsync()
    {
        var email = $"upload-{Guid.NewGuid():N}@example.org";
        const string password = "upload-page-password";
        using var admin = Server.Admin();
        await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password }));
        return (email, password);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>One TUS request as the server received it: the offset a PATCH started at, the length a creation declared, the body bytes the server read, and the offset it answered.</summary>
public sealed record TusRequest(string Method, string Session, long? RequestOffset, long? UploadLength, long BodyBytes, long? AnsweredOffset, bool Cut);

/// <summary>
/// Sees every request to <c>/api/upload/resumable_upload/</c> before the server handles it. When armed, the next PATCH
/// of a session loses its connection after a given number of body bytes, as a dropped network would leave it: the
/// bytes before the drop reach the handler (and the disk), then the connection is aborted with no answer.
/// </summary>
public sealed class TusTap : IStartupFilter
{
    private const string Prefix = "/api/upload/resumable_upload";
    private readonly ConcurrentQueue<TusRequest> _requests = new();
    private long _cutAfter = -1;
    private long _cutAt;

    public IReadOnlyList<TusRequest> Requests => [.. _requests];

    public IReadOnlyList<TusRequest> For(string session) => Requests.Where(r => r.Session == session).ToList();

    /// <summary>The next PATCH with an offset of at least <paramref name="atOrAfterOffset"/> is cut after <paramref name="bytes"/> body bytes.</summary>
    public void CutNextPatch(long bytes, long atOrAfterOffset)
    {
        Interlocked.Exchange(ref _cutAt, atOrAfterOffset);
        Interlocked.Exchange(ref _cutAfter, bytes);
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (!path.StartsWith(Prefix, StringComparison.Ordinal) || HttpMethods.IsOptions(context.Request.Method))
            {
                await nextMiddleware(context);
                return;
            }
            long? offset = long.TryParse(context.Request.Headers["Upload-Offset"].FirstOrDefault(), out var o) ? o : null;
            long? length = long.TryParse(context.Request.Headers["Upload-Length"].FirstOrDefault(), out var l) ? l : null;
            var cutAfter = -1L;
            if (HttpMethods.IsPatch(context.Request.Method) && offset >= Interlocked.Read(ref _cutAt))
            {
                cutAfter = Interlocked.Exchange(ref _cutAfter, -1);
            }
            var body = new CountingStream(context.Request.Body, cutAfter, context);
            context.Request.Body = body;
            try
            {
                await nextMiddleware(context);
            }
            finally
            {
                long? answered = long.TryParse(context.Response.Headers["Upload-Offset"].FirstOrDefault(), out var a) && !body.Cut ? a : null;
                var session = HttpMethods.IsPost(context.Request.Method) ? context.Response.Headers.Location.ToString() : path;
                _requests.Enqueue(new TusRequest(context.Request.Method, session[(session.LastIndexOf('/') + 1)..], offset, length, body.BytesRead, answered, body.Cut));
            }
        });
        next(app);
    };

    /// <summary>Counts what the handler reads; with a limit, hands over that many bytes, then aborts the connection.</summary>
    private sealed class CountingStream(Stream inner, long cutAfter, HttpContext context) : Stream
    {
        public long BytesRead { get; private set; }
        public bool Cut { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cutAfter >= 0 && BytesRead >= cutAfter)
            {
                Cut = true;
                context.Abort();
                throw new IOException("The test cut this upload's connection.");
            }
            var wanted = cutAfter >= 0 ? (int)Math.Min(buffer.Length, cutAfter - BytesRead) : buffer.Length;
            var n = await inner.ReadAsync(buffer[..wanted], cancellationToken);
            BytesRead += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
