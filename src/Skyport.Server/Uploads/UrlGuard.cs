using System.Net;
using System.Net.Sockets;

namespace Skyport.Server.Uploads;

/// <summary>
/// Decides which addresses a URL fetch may reach. Loopback, private, link-local, carrier-grade NAT,
/// unique-local, multicast and unspecified addresses are refused unless the administrator allows them,
/// so that uploads cannot be used to probe the server's own network or cloud metadata endpoints.
/// </summary>
public static class UrlGuard
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
                || b[0] >= 224);
        }
        var bytes = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (bytes[0] & 0xfe) == 0xfc);
    }

    /// <summary>Parses and checks a URL's form: absolute http or https with a host.</summary>
    public static Uri ParseHttpUrl(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
        {
            throw new Galaxy.RequestParameterInvalidException($"'{Shorten(text)}' is not an http or https URL.");
        }
        return uri;
    }

    /// <summary>Refuses early, with a clear message, a URL whose host resolves only to internal addresses.</summary>
    public static async Task EnsureReachableAsync(Uri uri, bool allowPrivate, CancellationToken cancellationToken)
    {
        if (allowPrivate)
        {
            return;
        }
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            throw new Galaxy.RequestParameterInvalidException($"The host of '{Shorten(uri.ToString())}' could not be resolved.");
        }
        if (addresses.Length == 0 || !addresses.Any(IsPublic))
        {
            throw new Galaxy.RequestParameterInvalidException(
                $"Refusing to fetch '{Shorten(uri.ToString())}': it points to a loopback, private or link-local address.");
        }
    }

    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
