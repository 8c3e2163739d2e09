using Skyport.Server.Galaxy;

namespace Skyport.Tests.Galaxy;

public sealed class IdEncoderTests
{
    private static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    [Fact]
    public void Encode_ThenDecode_RoundTrips_AndIdsAreDistinctSixteenHex()
    {
        var encoder = new IdEncoder(Key);
        var seen = new HashSet<string>();
        foreach (var id in Enumerable.Range(1, 5000).Select(i => (long)i).Append(long.MaxValue).Append(0))
        {
            var encoded = encoder.Encode(id);
            Assert.Matches("^[0-9a-f]{16}$", encoded);
            Assert.True(seen.Add(encoded));
            Assert.True(encoder.TryDecode(encoded, out var decoded));
            Assert.Equal(id, decoded);
        }
    }

    [Fact]
    public void Encode_IsStableForAKey_AndDiffersBetweenKeys()
    {
        var other = (byte[])Key.Clone();
        other[0] ^= 1;

        Assert.Equal(new IdEncoder(Key).Encode(42), new IdEncoder(Key).Encode(42));
        Assert.NotEqual(new IdEncoder(Key).Encode(42), new IdEncoder(other).Encode(42));
    }

    [Fact]
    public async Task Encode_FromManyThreads_AgreesWithOneThread()
    {
        var encoder = new IdEncoder(Key);
        var expected = Enumerable.Range(1, 2000).ToDictionary(i => i, i => new IdEncoder(Key).Encode(i));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => expected.Keys.Select(i => (i, encoder.Encode(i))).ToList())));

        Assert.All(results.SelectMany(r => r), r => Assert.Equal(expected[r.i], r.Item2));
    }

    [Theory]
    [InlineData("")]
    [InlineData("123")]
    [InlineData("0123456789ABCDEF")]
    [InlineData("0123456789abcdeg")]
    [InlineData("0123456789abcdef0")]
    public void Decode_Malformed_ThrowsMalformedId(string text)
    {
        var error = Assert.Throws<MalformedIdException>(() => new IdEncoder(Key).Decode(new EncodedId(text)));
        Assert.Equal(400009, error.ErrorCode);
    }
}
