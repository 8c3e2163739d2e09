namespace Skyport.Server.Galaxy;

/// <summary>
/// An id as it travels on the wire: 16 lowercase hex characters. Binding never fails, so that
/// a malformed id reaches the service and becomes Galaxy's 400009 rather than a bare 400.
/// Decoding happens in services, through <see cref="IdEncoder"/>.
/// </summary>
public readonly record struct EncodedId(string Value)
{
    public static bool TryParse(string? value, out EncodedId id)
    {
        id = new EncodedId(value ?? "");
        return true;
    }

    public override string ToString() => Value;
}
