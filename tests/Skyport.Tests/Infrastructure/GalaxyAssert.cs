using System.Net;
using System.Text.Json;

namespace Skyport.Tests.Infrastructure;

public static class GalaxyAssert
{
    /// <summary>Asserts status and Galaxy's error envelope, returning err_msg for further checks.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, int errCode)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} but got {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal(errCode, json.RootElement.GetProperty("err_code").GetInt32());
        var message = json.RootElement.GetProperty("err_msg").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Expected success but got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
