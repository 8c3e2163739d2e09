using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Users;

/// <summary>On the first start with an empty database, creates an administrator and shows its API key once.</summary>
public sealed class FirstStartBootstrap(SkyportDbContext db, UsersService users, IOptions<SkyportOptions> options)
{
    /// <returns>The administrator and its key when one was created; null when users already existed.</returns>
    public async Task<CreatedUser?> RunAsync(CancellationToken cancellationToken)
    {
        if (await db.Users.AnyAsync(cancellationToken))
        {
            return null;
        }
        try
        {
            return await users.CreateAsync(options.Value.BootstrapAdminEmail, password: null, isAdmin: true, username: "admin", cancellationToken);
        }
        catch (ConflictException)
        {
            // Another server on the same database started at the same moment and created it.
            return null;
        }
    }
}
