using System.Text.RegularExpressions;

namespace Skyport.Tests.Web;

/// <summary>Posting the UI's forms from plain HTTP: a form needs the antiforgery token its page carries.</summary>
public static partial class WebForms
{
    public static async Task<string> TokenAsync(HttpClient http, string page)
    {
        using var response = await http.GetAsync(page);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {page} answered {(int)response.StatusCode}: {html}");
        return Token().Match(html) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException($"No antiforgery token on {page}.");
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string page, string action, params (string Name, string Value)[] fields)
    {
        var token = await TokenAsync(http, page);
        var content = new FormUrlEncodedContent(fields.Append(("__csrf", token)).Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)));
        return await http.PostAsync(action, content);
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
