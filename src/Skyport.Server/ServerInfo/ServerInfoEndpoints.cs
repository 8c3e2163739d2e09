using Skyport.Server.Datatypes;

namespace Skyport.Server.ServerInfo;

/// <summary>What Galaxy clients ask before anything else: version, configuration and datatypes.</summary>
public static class ServerInfoEndpoints
{
    /// <summary>Galaxy 23.1's API; 22.01 or later makes BioBlend upload through TUS and /api/tools/fetch.</summary>
    public const string GalaxyVersion = "23.1";

    public static IEndpointRouteBuilder MapServerInfo(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api").WithTags("Server").AllowAnonymous();
        g.MapGet("/version", () => new VersionView(GalaxyVersion, "1", $"{GalaxyVersion}.1", SkyportVersion));
        g.MapGet("/configuration", (HttpContext context) => ConfigurationView.For(context.User.Identity?.IsAuthenticated == true));
        g.MapGet("/datatypes", (DatatypeRegistry registry, bool? extension_only) => extension_only == false
            ? Results.Ok(registry.All.Select(d => new DatatypeView(d.Extension, d.MimeType, d.Description, d.IsBinary)))
            : Results.Ok(registry.All.Select(d => d.Extension)));
        return app;
    }

    private static string SkyportVersion =>
        typeof(ServerInfoEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

public sealed record VersionView(string VersionMajor, string VersionMinor, string Version, string SkyportVersion);

public sealed record DatatypeView(string Extension, string MimeType, string Description, bool IsBinary);

/// <summary>The configuration keys Galaxy clients read (BioBlend, the upload dialog of Galaxy's own client).</summary>
public sealed record ConfigurationView(
    string Brand,
    string VersionMajor,
    string VersionMinor,
    bool AllowUserCreation,
    bool AllowUserDeletion,
    bool EnableQuotas,
    bool RequireLogin,
    bool IsAuthenticated,
    string TusUploadPath,
    long ChunkUploadSize,
    string? FtpUploadSite,
    bool EnableCloudStorage)
{
    public static ConfigurationView For(bool authenticated) => new(
        "Skyport", ServerInfoEndpoints.GalaxyVersion, "1", false, false, false, true, authenticated,
        "/api/upload/resumable_upload", 10 << 20, null, true);
}
