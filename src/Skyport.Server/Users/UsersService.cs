using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Users;

public sealed partial class UsersService(
    SkyportDbContext db,
    ApiKeyService apiKeys,
    CurrentUser current,
    IdEncoder ids,
    TimeProvider clock)
{
    private static readonly PasswordHasher<User> Hasher = new();
    private const int MaxCreateAttempts = 10;

    public async Task<UserView> ShowCurrentAsync(CancellationToken cancellationToken) =>
        await ViewAsync(current.Id, cancellationToken);

    /// <summary>Galaxy accepts the literal <c>current</c> wherever a user id goes.</summary>
    public async Task<UserView> ShowAsync(EncodedId id, CancellationToken cancellationToken) =>
        await ViewAsync(ResolveAccessibleUserId(id), cancellationToken);

    /// <summary>Administrators see every user; others see themselves, as in Galaxy.</summary>
    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken cancellationToken)
    {
        var callerId = current.Id;
        var userIds = await db.Users.AsNoTracking()
            .Where(u => current.IsAdmin || u.Id == callerId)
            .OrderBy(u => u.Id)
            .Select(u => u.Id)
            .ToListAsync(cancellationToken);
        var views = new List<UserView>(userIds.Count);
        foreach (var userId in userIds)
        {
            views.Add(await ViewAsync(userId, cancellationToken));
        }
        return views;
    }

    public async Task<UserView> CreateFromApiAsync(CreateUserRequest request, CancellationToken cancellationToken)
    {
        current.RequireAdmin();
        var missing = new[] { ("email", request.Email), ("password", request.Password) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToArray();
        if (missing.Length > 0)
        {
            throw RequestParameterMissingException.For(missing);
        }
        var created = await CreateAsync(request.Email!, request.Password, isAdmin: false, request.Username, cancellationToken);
        return await ViewAsync(created.User.Id, cancellationToken);
    }

    /// <summary>Creates a user and a first API key. Used by the command line, the first start and admins.</summary>
    public async Task<CreatedUser> CreateAsync(string email, string? password, bool isAdmin, string? username, CancellationToken cancellationToken)
    {
        email = email.Trim().ToLowerInvariant();
        if (!EmailPattern().IsMatch(email) || email.Length > 255)
        {
            throw new RequestParameterInvalidException($"'{email}' is not a valid email address.");
        }
        if (password is { Length: < 6 })
        {
            throw new RequestParameterInvalidException("Passwords must be at least 6 characters long.");
        }
        if (await db.Users.AnyAsync(u => u.Email == email, cancellationToken))
        {
            throw new ConflictException($"A user with the email '{email}' already exists.");
        }
        var wanted = username ?? email.Split('@')[0];
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var user = new User { Email = email, Username = await UniqueUsernameAsync(wanted, cancellationToken), IsAdmin = isAdmin, CreateTime = now, UpdateTime = now };
            if (password is not null)
            {
                user.PasswordHash = Hasher.HashPassword(user, password);
            }
            db.Users.Add(user);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (attempt < MaxCreateAttempts)
            {
                // The checks above race with concurrent creations and the unique indexes decide: a lost
                // email is the caller's conflict, a lost username is ours to pick again.
                db.Entry(user).State = EntityState.Detached;
                if (await db.Users.AnyAsync(u => u.Email == email, cancellationToken))
                {
                    throw new ConflictException($"A user with the email '{email}' already exists.");
                }
                continue;
            }
            var key = await apiKeys.IssueAsync(user.Id, revokeOthers: false, cancellationToken);
            return new CreatedUser(user, key);
        }
    }

    /// <summary>Galaxy's <c>POST /api/users/{id}/api_key</c>: a new key that replaces the user's others.</summary>
    public async Task<string> NewApiKeyAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var userId = ResolveAccessibleUserId(id);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            throw new ObjectNotFoundException("User not found.");
        }
        return await apiKeys.IssueAsync(userId, revokeOthers: true, cancellationToken);
    }

    /// <summary>Galaxy's <c>GET /api/authenticate/baseauth</c>: HTTP Basic email (or username) and password for an API key.</summary>
    public async Task<ApiKeyResponse> BaseAuthAsync(string? authorization, CancellationToken cancellationToken)
    {
        var (login, password) = ParseBasic(authorization);
        var user = await VerifyPasswordAsync(login, password, cancellationToken);
        return new ApiKeyResponse(await apiKeys.IssueAsync(user.Id, revokeOthers: false, cancellationToken));
    }

    /// <summary>The enabled user with this email (or username) and password; the web sign-in and baseauth share it.</summary>
    public async Task<User> VerifyPasswordAsync(string login, string password, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(
            u => (u.Email == login.ToLower() || u.Username == login) && !u.Disabled, cancellationToken);
        if (user?.PasswordHash is null
            || Hasher.VerifyHashedPassword(user, user.PasswordHash, password) == PasswordVerificationResult.Failed)
        {
            throw new AuthenticationFailedException("Invalid password or email.");
        }
        return user;
    }

    public async Task<UserView> ViewAsync(long userId, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw new ObjectNotFoundException("User not found.");
        var usage = await DiskUsageAsync(userId, cancellationToken);
        return new UserView(ids.Encode(user.Id), user.Email, user.Username, user.IsAdmin, user.Disabled, false,
            usage, ByteSize.Nice(usage), null, user.CreateTime);
    }

    public Task<long> DiskUsageAsync(long userId, CancellationToken cancellationToken) =>
        db.Datasets.Where(d => !d.Purged && db.Histories.Any(h => h.Id == d.HistoryId && h.UserId == userId))
            .SumAsync(d => d.FileSize, cancellationToken);

    private long ResolveAccessibleUserId(EncodedId id)
    {
        if (id.Value == "current")
        {
            return current.Id;
        }
        var userId = ids.Decode(id, "user id");
        if (userId != current.Id && !current.IsAdmin)
        {
            throw new ItemAccessibilityException("You may only access your own user.");
        }
        return userId;
    }

    private async Task<string> UniqueUsernameAsync(string wanted, CancellationToken cancellationToken)
    {
        var cleaned = UsernameForbidden().Replace(wanted.ToLowerInvariant(), "-").Trim('-');
        var baseName = cleaned.Length == 0 ? "user" : cleaned[..Math.Min(cleaned.Length, 200)];
        var candidate = baseName;
        for (var n = 2; await db.Users.AnyAsync(u => u.Username == candidate, cancellationToken); n++)
        {
            candidate = $"{baseName}-{n}";
        }
        return candidate;
    }

    private static (string Login, string Password) ParseBasic(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            throw new AuthenticationFailedException("HTTP Basic authentication (email:password) is required.");
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
        }
        catch (FormatException)
        {
            throw new AuthenticationFailedException("Malformed HTTP Basic credentials.");
        }
        var colon = decoded.IndexOf(':');
        if (colon <= 0)
        {
            throw new AuthenticationFailedException("Malformed HTTP Basic credentials.");
        }
        return (decoded[..colon], decoded[(colon + 1)..]);
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"[^a-z0-9._-]+")]
    private static partial Regex UsernameForbidden();
}
