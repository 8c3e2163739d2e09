using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Web.Pages.Cloud;

/// <summary>Creates or edits an authorization through <see cref="CloudAuthzService"/>, with the cloud-side settings for the chosen login beside the form.</summary>
public sealed class AuthorizationEditModel(CloudAuthzService authorizations, TrustGuide guide) : SkyportPageModel
{
    [FromRoute]
    public string? Id { get; set; }

    public string Provider { get; private set; } = "aws";
    public AuthzView? Existing { get; private set; }
    public IReadOnlyList<TrustGuide.Login> Logins { get; private set; } = [];
    public TrustGuide.Login? SelectedLogin { get; private set; }
    public IReadOnlyList<AuthzField> Fields => AuthzForm.Fields(Provider);

    public async Task<IActionResult> OnGetAsync(string? provider, CancellationToken cancellationToken)
    {
        if (Id is not null)
        {
            Existing = await authorizations.ShowAsync(new EncodedId(Id), cancellationToken);
            Provider = Existing.Provider;
        }
        else if (provider is "aws" or "azure" or "gcp")
        {
            Provider = provider;
        }
        else
        {
            return Redirect("/cloud/authz");
        }
        Logins = await guide.LoginsAsync(cancellationToken);
        SelectedLogin = Logins.FirstOrDefault(l => l.Id == Existing?.AuthnId) ?? (Existing is { AuthnId: null } ? null : Logins.FirstOrDefault());
        return Page();
    }

    public string? Value(string name) => Existing is null ? null : AuthzLabels.Value(Existing, name);

    public bool SecretIsSet(string name) => Existing?.Secrets.GetValueOrDefault(name) == true;

    public async Task<IActionResult> OnPostAsync(string provider, string? authnId, string? description, CancellationToken cancellationToken)
    {
        // Empty fields are left out: unset settings stay unset, and an unchanged secret keeps its stored value.
        var config = new JsonObject();
        foreach (var field in AuthzForm.Fields(provider))
        {
            if (Request.Form[$"config.{field.Name}"].ToString().Trim() is { Length: > 0 } value)
            {
                config[field.Name] = value;
            }
        }
        var json = System.Text.Json.JsonSerializer.SerializeToElement(config);
        var saved = Id is null
            ? await authorizations.CreateAsync(new CreateAuthzRequest(provider, json, NullIfEmpty(authnId), NullIfEmpty(description)), cancellationToken)
            : await authorizations.UpdateAsync(new EncodedId(Id), new UpdateAuthzRequest(json, authnId ?? "", description ?? ""), cancellationToken);
        Info($"Saved {AuthzLabels.Describe(saved)}. Use “Test connection” to check the cloud accepts it.");
        return Redirect("/cloud/authz");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
