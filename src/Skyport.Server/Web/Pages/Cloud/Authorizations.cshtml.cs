using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Galaxy;
using Skyport.Server.Identity;

namespace Skyport.Server.Web.Pages.Cloud;

public sealed class AuthorizationsModel(CloudAuthzService authorizations, CredentialsService credentials, AuthnzService authnz) : SkyportPageModel
{
    public IReadOnlyList<AuthzView> Authorizations { get; private set; } = [];
    private IReadOnlyList<IdentityView> _identities = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Authorizations = await authorizations.ListAsync(cancellationToken);
        _identities = await authnz.ListAsync(cancellationToken);
    }

    public string IdentityName(string? authnId) =>
        authnId is null ? "none (secret or key)" : _identities.FirstOrDefault(i => i.Id == authnId) is { } i ? $"{i.Provider}: {i.Email}" : authnId;

    public async Task<IActionResult> OnPostTestAsync(string id, CancellationToken cancellationToken)
    {
        var result = await credentials.TestAsync(new EncodedId(id), cancellationToken);
        if (result.Ok)
        {
            Info($"Connection works: {AuthzLabels.ProviderName(result.Provider)} issued credentials{(result.ExpiresAt is { } e ? $" valid until {e:yyyy-MM-dd HH:mm} UTC" : "")}.");
        }
        else
        {
            Error($"Connection failed: {result.Error}");
        }
        return Back();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id, CancellationToken cancellationToken)
    {
        await authorizations.DeleteAsync(new EncodedId(id), cancellationToken);
        Info("Deleted the authorization.");
        return Back();
    }
}
