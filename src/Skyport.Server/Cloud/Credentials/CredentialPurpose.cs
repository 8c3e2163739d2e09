namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// What the current work is ("job 12", "bucket listing"), carried with the async flow. Credentials are shared
/// per authorization, so an issuance is attributed to whichever work needed the renewal at that moment.
/// </summary>
public static class CredentialPurpose
{
    private static readonly AsyncLocal<string?> Value = new();

    public static string? Current => Value.Value;

    public static IDisposable Use(string purpose)
    {
        var previous = Value.Value;
        Value.Value = purpose;
        return new Restore(previous);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Value.Value = previous;
    }
}
