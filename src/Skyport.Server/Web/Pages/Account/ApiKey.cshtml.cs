using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Web.Pages.Account;

/// <summary>Galaxy's "new key" (<c>POST /api/users/current/api_key</c>), whose answer is the only time the key is shown.</summary>
public sealed class ApiKeyModel(UsersService users) : SkyportPageModel
{
    public string? NewKey { get; private set; }

    public void OnGet()
    {
    }

    public async Task OnPostAsync(CancellationToken cancellationToken)
    {
        NewKey = await users.NewApiKeyAsync(new EncodedId("current"), cancellationToken);
        // The key is in this one answer only: nothing may keep it.
        Response.Headers.CacheControl = "no-store";
    }
}
