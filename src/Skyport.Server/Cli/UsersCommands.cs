using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Cli;

/// <summary><c>./skyport users create | list | make-admin | disable | enable | new-key</c>.</summary>
internal static class UsersCommands
{
    public static Command Create(Option<string?> dataDir)
    {
        var email = new Option<string>("--email") { Description = "Email address of the new user.", Required = true };
        var password = new Option<string?>("--password") { Description = "Password (for HTTP Basic and sign-in); omit for API-key-only users." };
        var admin = new Option<bool>("--admin") { Description = "Make the user an administrator." };
        var create = new Command("create", "Create a user and print its API key (last line).") { email, password, admin, dataDir };
        create.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var created = await services.GetRequiredService<UsersService>().CreateAsync(
                result.GetValue(email)!, result.GetValue(password), result.GetValue(admin), null, ct);
            var ids = services.GetRequiredService<IdEncoder>();
            Console.WriteLine($"Created user {created.User.Email} (id {ids.Encode(created.User.Id)}, username {created.User.Username}{(created.User.IsAdmin ? ", admin" : "")}).");
            Console.WriteLine("API key:");
            Console.WriteLine(created.ApiKey);
        }, ct));

        var list = new Command("list", "List users.") { dataDir };
        list.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var db = services.GetRequiredService<SkyportDbContext>();
            var ids = services.GetRequiredService<IdEncoder>();
            var users = await db.Users.AsNoTracking().OrderBy(u => u.Id).ToListAsync(ct);
            Console.WriteLine($"{"id",-16}  {"email",-32}  {"username",-20}  admin  disabled");
            foreach (var u in users)
            {
                Console.WriteLine($"{ids.Encode(u.Id),-16}  {u.Email,-32}  {u.Username,-20}  {(u.IsAdmin ? "yes" : "no"),-5}  {(u.Disabled ? "yes" : "no")}");
            }
        }, ct));

        return new Command("users", "Manage users.")
        {
            create,
            list,
            Change("make-admin", "Make a user an administrator.", dataDir, (db, id, ct) =>
                db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsAdmin, true), ct), "is now an administrator"),
            Change("disable", "Disable a user: their API keys and sessions stop working at once.", dataDir, (db, id, ct) =>
                db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Disabled, true), ct), "is disabled"),
            Change("enable", "Enable a disabled user again.", dataDir, (db, id, ct) =>
                db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Disabled, false), ct), "is enabled"),
            NewKey(dataDir),
        };
    }

    private static Command Change(string name, string description, Option<string?> dataDir,
        Func<SkyportDbContext, long, CancellationToken, Task<int>> change, string outcome)
    {
        var email = new Option<string>("--email") { Description = "The user's email address.", Required = true };
        var command = new Command(name, description) { email, dataDir };
        command.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var db = services.GetRequiredService<SkyportDbContext>();
            var user = await FindAsync(db, result.GetValue(email)!, ct);
            await change(db, user.Id, ct);
            Console.WriteLine($"{user.Email} {outcome}.");
        }, ct));
        return command;
    }

    private static Command NewKey(Option<string?> dataDir)
    {
        var email = new Option<string>("--email") { Description = "The user's email address.", Required = true };
        var command = new Command("new-key", "Issue a new API key for a user, revoking their others; prints it (last line).") { email, dataDir };
        command.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var user = await FindAsync(services.GetRequiredService<SkyportDbContext>(), result.GetValue(email)!, ct);
            var key = await services.GetRequiredService<ApiKeyService>().IssueAsync(user.Id, revokeOthers: true, ct);
            Console.WriteLine($"New API key for {user.Email} (earlier keys no longer work):");
            Console.WriteLine(key);
        }, ct));
        return command;
    }

    private static async Task<User> FindAsync(SkyportDbContext db, string email, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Email == email.Trim().ToLower(), cancellationToken)
        ?? throw new ObjectNotFoundException($"No user has the email '{email}'.");
}
