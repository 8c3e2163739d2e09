namespace Skyport.Server.Web;

/// <summary>A setting of a cloud authorization as the guided form shows it; the rules stay in <c>AuthzProviders</c>.</summary>
public sealed record AuthzField(string Name, string Label, string Help, bool Secret = false, string? Placeholder = null);

public static class AuthzForm
{
    public static IReadOnlyList<AuthzField> Fields(string provider) => provider switch
    {
        "aws" =>
        [
            new("role_arn", "Role ARN", "The IAM role Skyport assumes with your login (trust policy below).", Placeholder: "arn:aws:iam::123456789012:role/skyport"),
            new("region", "Region", "Optional; us-east-1 by default.", Placeholder: "us-east-1"),
            new("token_ttl", "Credential lifetime (seconds)", "Optional, 900–43200; 3600 by default.", Placeholder: "3600"),
            new("role_session_name", "Role session name", "Optional; shows in CloudTrail.", Placeholder: "skyport"),
            new("endpoint", "S3 endpoint", "Only for S3-compatible stores (MinIO, Ceph RGW).", Placeholder: "https://s3.example.org"),
            new("sts_endpoint", "STS endpoint", "Only for S3-compatible stores with their own STS.", Placeholder: "https://sts.example.org"),
        ],
        "azure" =>
        [
            new("tenant_id", "Tenant (directory) id", "The Entra tenant of the app registration.", Placeholder: "00000000-0000-0000-0000-000000000000"),
            new("client_id", "Application (client) id", "The app registration that holds the federated credential below.", Placeholder: "00000000-0000-0000-0000-000000000000"),
            new("account_name", "Storage account name", "Or give the account URL instead.", Placeholder: "mystorageaccount"),
            new("account_url", "Storage account URL", "Optional; for sovereign clouds or private endpoints.", Placeholder: "https://mystorageaccount.blob.core.windows.net"),
            new("client_secret", "Client secret", "Only without a linked login (not keyless). Stored encrypted; never shown again. Leave empty to keep the current one.", Secret: true),
        ],
        "gcp" =>
        [
            new("audience", "Workload identity pool provider", "Keyless: the pool provider's full name.", Placeholder: "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/POOL/providers/PROVIDER"),
            new("service_account_email", "Service account to impersonate", "Optional; without it the pool principal itself needs access to the bucket.", Placeholder: "skyport@project.iam.gserviceaccount.com"),
        ],
        _ => [],
    };
}
