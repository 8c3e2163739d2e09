using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Identity;

namespace Skyport.Server.Web.Pages.Account;

/// <summary>The caller's linked logins (<c>/authnz</c>); linking goes through the provider's login route, unlinking through <see cref="AuthnzService"/>.</summary>
public sealed class IdentitiesModel(AuthnzService authnz) : SkyportPageModel
{
    public IReadOnlyList<IdentityView> Identities { get; private set; } = [];
    public IReadOnlyList<ProviderView> Providers { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Identities = await authnz.ListAsync(cancellationToken);
        Providers = authnz.Providers();
    }

    public async Task<IActionResult> OnPostUnlinkAsync(string provider, string email, CancellationToken cancellationToken)
    {
        await authnz.DisconnectAsync(provider, email, cancellationToken);
        Info($"Unlinked the {provider} identity {email}.");
        return Back();
    }
}
