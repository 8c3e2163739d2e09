using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Galaxy;

namespace Skyport.Tests.Infrastructure;

public static class TestIds
{
    /// <summary>
    /// A well-formed id that no row has: encoded with the server's own secret, so it decodes cleanly
    /// and the server must answer 404, not 400009.
    /// </summary>
    public static string UnknownId(this SkyportServer server) =>
        server.Services.GetRequiredService<IdEncoder>().Encode(long.MaxValue / 2);

    /// <summary>Not 16 lowercase hex characters, so it can never decode: always 400009.</summary>
    public const string MalformedId = "not-an-id";
}
