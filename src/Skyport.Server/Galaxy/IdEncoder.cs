using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Skyport.Server.Galaxy;

/// <summary>
/// Keyed, reversible encoding of database ids as 16 lowercase hex characters, like Galaxy's
/// Blowfish ids. It is a four-round Feistel network over 64 bits whose round function is
/// HMAC-SHA256 under the server's id secret: a pseudo-random permutation, so ids are stable,
/// unique and reveal neither order nor count to someone without the secret.
/// Listing a large history encodes thousands of ids per request, so encodings are cached (ids never
/// change) and each thread keeps its own keyed HMAC instead of setting the key up for every round.
/// </summary>
public sealed class IdEncoder
{
    private const int Rounds = 4;
    private const int CacheLimit = 1_000_000;
    private readonly byte[] _key;
    private readonly ConcurrentDictionary<long, string> _encoded = new();
    private readonly ThreadLocal<HMACSHA256> _hmac;

    public IdEncoder(byte[] key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("The id secret must be at least 16 bytes.", nameof(key));
        }
        _key = key;
        _hmac = new ThreadLocal<HMACSHA256>(() => new HMACSHA256(_key));
    }

    public string Encode(long id)
    {
        if (_encoded.TryGetValue(id, out var cached))
        {
            return cached;
        }
        var encoded = Permute(id);
        if (_encoded.Count >= CacheLimit)
        {
            _encoded.Clear();
        }
        _encoded[id] = encoded;
        return encoded;
    }

    private string Permute(long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        var value = (ulong)id;
        var left = (uint)(value >> 32);
        var right = (uint)value;
        for (var round = 0; round < Rounds; round++)
        {
            (left, right) = (right, left ^ RoundFunction(round, right));
        }
        return (((ulong)left << 32) | right).ToString("x16");
    }

    public long Decode(EncodedId encoded, string what = "id") =>
        TryDecode(encoded.Value, out var id)
            ? id
            : throw new MalformedIdException($"Invalid {what} '{Truncate(encoded.Value)}': ids are 16 lowercase hexadecimal characters.");

    public bool TryDecode(string? encoded, out long id)
    {
        id = 0;
        if (encoded is not { Length: 16 } || !encoded.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            return false;
        }
        var value = Convert.ToUInt64(encoded, 16);
        var left = (uint)(value >> 32);
        var right = (uint)value;
        for (var round = Rounds - 1; round >= 0; round--)
        {
            (left, right) = (right ^ RoundFunction(round, left), left);
        }
        var decoded = ((ulong)left << 32) | right;
        if (decoded > long.MaxValue)
        {
            return false;
        }
        id = (long)decoded;
        return true;
    }

    private uint RoundFunction(int round, uint half)
    {
        Span<byte> input = stackalloc byte[5];
        input[0] = (byte)round;
        BinaryPrimitives.WriteUInt32BigEndian(input[1..], half);
        Span<byte> mac = stackalloc byte[32];
        _hmac.Value!.TryComputeHash(input, mac, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(mac);
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
