using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Skyport.Server.Operations.RequestLogging;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

/// <summary>Traces (OTLP, off by default) and the transfer and credential metrics, from real transfers against the S3 emulator.</summary>
public sealed class TelemetryTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    private HttpClient User => fixture.User;

    /// <summary>
    /// A trace of the test's own: requests sent while it is current carry it (the test's HTTP client spans are its
    /// children and propagate it), so the test finds the server's spans among those of every server in this process.
    /// </summary>
    private static Activity StartTrace() =>
        new Activity("test").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();

    [Fact]
    public async Task AGetJob_IsAJobSpan_WithATransferSpan_WhoseChildrenAreTheStoreCalls_AndTheRequestHasItsServerSpan()
    {
        var bucket = await fixture.S3.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(150_000);
        await fixture.S3.PutBytesAsync(bucket, "traced.bin", content);
        var history = await User.CreateHistoryAsync();
        string datasetId, requestId;
        ActivityTraceId trace;
        using (var test = StartTrace())
        {
            trace = test.TraceId;
            using var response = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "traced.bin" } });
            datasetId = (await GalaxyAssert.OkJsonAsync(response))[0].GetProperty("id").GetString()!;
            requestId = response.Headers.GetValues(RequestLogs.RequestIdHeader).Single();
        }
        Assert.Equal("ok", (await User.WaitForDatasetAsync(datasetId)).GetProperty("state").GetString());

        var request = await fixture.Spans.WaitForAsync(s => s.TraceId == trace && s.Kind == ActivityKind.Server, "for the get request");
        Assert.Equal("/api/cloud/storage/get", request.GetTagItem("http.route"));
        Assert.Equal(200, Convert.ToInt32(request.GetTagItem("http.response.status_code"), CultureInfo.InvariantCulture));
        Assert.Equal(requestId, request.GetTagItem("skyport.request_id"));
        Assert.True(request.GetTagItem("enduser.id") is string { Length: > 0 }, string.Join(", ", request.TagObjects.Select(t => $"{t.Key}={t.Value}")));

        var transfer = await fixture.Spans.WaitForAsync(s => s.OperationName == "skyport.transfer" && Equals(s.GetTagItem("skyport.transfer.bucket"), bucket), "for the transfer");
        Assert.Equal("get", transfer.GetTagItem("skyport.transfer.direction"));
        Assert.Equal("aws", transfer.GetTagItem("skyport.transfer.provider"));
        Assert.Equal((long)content.Length, transfer.GetTagItem("skyport.transfer.bytes"));
        var job = await fixture.Spans.WaitForAsync(s => s.OperationName == "skyport.job" && s.TraceId == transfer.TraceId && s.SpanId == transfer.ParentSpanId, "around the transfer");
        Assert.Equal("cloud_get", job.GetTagItem("skyport.job.tool"));
        Assert.Equal(1, job.GetTagItem("skyport.job.attempt"));
        Assert.Equal("ok", job.GetTagItem("skyport.job.outcome"));
        Assert.IsType<long>(job.GetTagItem("skyport.job.id"));
        Assert.Equal(ActivityStatusCode.Unset, job.Status);
        // The store's requests (HEAD, ranged GETs) are HTTP client spans inside the transfer.
        var calls = fixture.Spans.Snapshot().Where(s => s.Kind == ActivityKind.Client && s.TraceId == transfer.TraceId && s.ParentSpanId == transfer.SpanId).ToList();
        Assert.Contains(calls, c => c.GetTagItem("url.full") is string url && url.StartsWith(fixture.Cloud.S3.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal) && url.Contains(bucket));
        Assert.All(calls, c => Assert.True(c.StartTimeUtc >= transfer.StartTimeUtc && c.StartTimeUtc + c.Duration <= transfer.StartTimeUtc + transfer.Duration));
    }

    [Fact]
    public async Task ASendJob_IsTracedWithItsDirectionAndSize()
    {
        var bucket = await fixture.S3.NewBucketAsync();
        var history = await User.CreateHistoryAsync();
        var datasetId = await User.PasteAsync(history, "chr1\t1\t2\n", "bed");
        Assert.Equal("ok", (await User.WaitForDatasetAsync(datasetId)).GetProperty("state").GetString());

        var queued = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/send",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, dataset_ids = new[] { datasetId } }));
        Assert.Single(queued.GetProperty("sent_dataset_labels").EnumerateArray());

        var transfer = await fixture.Spans.WaitForAsync(s => s.OperationName == "skyport.transfer" && Equals(s.GetTagItem("skyport.transfer.bucket"), bucket), "for the send");
        Assert.Equal("send", transfer.GetTagItem("skyport.transfer.direction"));
        Assert.Equal("aws", transfer.GetTagItem("skyport.transfer.provider"));
        Assert.Equal(9L, transfer.GetTagItem("skyport.transfer.bytes"));
        var job = await fixture.Spans.WaitForAsync(s => s.OperationName == "skyport.job" && s.SpanId == transfer.ParentSpanId, "around the send");
        Assert.Equal("cloud_send", job.GetTagItem("skyport.job.tool"));
        Assert.Equal("ok", job.GetTagItem("skyport.job.outcome"));
    }

    [Fact]
    public async Task CredentialIssuances_AreSpansWithProviderAndOutcome_AndNoSpanCarriesASecret()
    {
        var identity = (await User.GetFromJsonAsync<JsonElement>("/authnz"))[0].GetProperty("id").GetString();
        var good = await NewAuthzAsync(identity, fixture.SecondRoleArn);
        var refused = await NewAuthzAsync(identity, "arn:aws:iam::123456789012:role/not-trusting-anyone");
        JsonElement tested, failed;
        ActivityTraceId trace;
        using (var test = StartTrace())
        {
            trace = test.TraceId;
            tested = await GalaxyAssert.OkJsonAsync(await User.PostAsync($"/api/cloud/authz/{good}/test", null));
            failed = await GalaxyAssert.OkJsonAsync(await User.PostAsync($"/api/cloud/authz/{refused}/test", null));
            using var anonymous = fixture.Server.Anonymous();
            using var byQueryKey = await anonymous.GetAsync($"/api/histories?key={fixture.Server.AdminKey}");
            Assert.Equal(System.Net.HttpStatusCode.OK, byQueryKey.StatusCode);
        }

        Assert.True(tested.GetProperty("ok").GetBoolean());
        Assert.False(failed.GetProperty("ok").GetBoolean());
        var issued = await fixture.Spans.WaitForAsync(s => s.TraceId == trace && s.OperationName == "skyport.credentials.issue"
                                                           && Equals(s.GetTagItem("skyport.credentials.outcome"), "issued"), "for the issued credentials");
        Assert.Equal("aws", issued.GetTagItem("skyport.credentials.provider"));
        var refusal = await fixture.Spans.WaitForAsync(s => s.TraceId == trace && s.OperationName == "skyport.credentials.issue"
                                                            && Equals(s.GetTagItem("skyport.credentials.outcome"), "failed"), "for the refused credentials");
        Assert.Equal("aws", refusal.GetTagItem("skyport.credentials.provider"));
        Assert.Equal(ActivityStatusCode.Error, refusal.Status);
        await fixture.Spans.WaitForAsync(s => s.TraceId == trace && s.Kind == ActivityKind.Server && Equals(s.GetTagItem("http.route"), "/api/histories/"), "for the ?key= request");

        // Whatever else ran in this class (gets, sends, logins) is in the capture too.
        var exported = fixture.Spans.AllText();
        var keys = (await fixture.Cloud.IssuedAwsKeysAsync()).Where(k => k.Subject == fixture.Subject).Select(k => k.AccessKeyId).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.DoesNotContain(key, exported));
        Assert.DoesNotContain(fixture.Server.AdminKey, exported);
        SecretAssert.NoJwt(exported, "the exported spans");
    }

    [Fact]
    public async Task TheOtlpExporter_PostsProtobufToTheCollectorsTracesPath_WithTheConfiguredHeaders()
    {
        var history = await User.CreateHistoryAsync();
        Assert.Equal("ok", (await User.WaitForDatasetAsync(await User.PasteAsync(history, "exported\n"))).GetProperty("state").GetString());
        await fixture.Spans.WaitForAsync(s => s.OperationName == "skyport.job" && Equals(s.GetTagItem("skyport.job.tool"), "__DATA_FETCH__"), "for the paste");

        var tracer = fixture.Server.Services.GetRequiredService<TracerProvider>();
        OtlpExport? export = null;
        for (var i = 0; i < 50 && export is null; i++)
        {
            Assert.True(tracer.ForceFlush(10_000));
            export = fixture.Collector.Exports.FirstOrDefault(e => e.Path == "/v1/traces" && Contains(e.Body, "skyport.job"));
            await Task.Delay(100);
        }

        Assert.NotNull(export);
        Assert.All(fixture.Collector.Exports, e => Assert.Equal("application/x-protobuf", e.ContentType));
        // ExportTraceServiceRequest: field 1 (resource_spans), length-delimited.
        Assert.Equal(0x0A, export.Body[0]);
        Assert.True(Contains(export.Body, "service.name") && Contains(export.Body, "skyport"), "The export names no service.");
        Assert.True(Contains(export.Body, "__DATA_FETCH__"), "The job span's tool is not in the export.");
        Assert.Equal(TelemetryFixture.CollectorHeaderValue, export.Headers.GetValueOrDefault(TelemetryFixture.CollectorHeader));
    }

    [Fact]
    public async Task Metrics_AfterRealTransfers_CountBytesPerProviderAndDirection_AndIssuancesByOutcome()
    {
        var bucket = await fixture.S3.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(70_000);
        await fixture.S3.PutBytesAsync(bucket, "measured.bin", content);
        var history = await User.CreateHistoryAsync();
        var got = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "measured.bin" } }));
        var datasetId = got[0].GetProperty("id").GetString()!;
        Assert.Equal("ok", (await User.WaitForDatasetAsync(datasetId)).GetProperty("state").GetString());
        var sent = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/send",
            new { history_id = history, authz_id = fixture.AuthzId, bucket = await fixture.S3.NewBucketAsync(), dataset_ids = new[] { datasetId } }));
        var label = JsonDocument.Parse(sent.GetProperty("sent_dataset_labels")[0].GetString()!).RootElement;
        Assert.Equal("ok", (await User.WaitForJobAsync(label.GetProperty("job_id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString());
        var identity = (await User.GetFromJsonAsync<JsonElement>("/authnz"))[0].GetProperty("id").GetString();
        var refused = await NewAuthzAsync(identity, "arn:aws:iam::123456789012:role/refusing-metrics");
        Assert.False((await GalaxyAssert.OkJsonAsync(await User.PostAsync($"/api/cloud/authz/{refused}/test", null))).GetProperty("ok").GetBoolean());

        var text = await fixture.Server.Anonymous().GetStringAsync("/metrics");

        // Other servers in this test process share the meter's name, so their transfers may add to these figures, never subtract.
        Assert.True(Sample(text, "skyport_transfer_bytes", "direction=\"get\"", "provider=\"aws\"") >= content.Length, text);
        Assert.True(Sample(text, "skyport_transfer_bytes", "direction=\"send\"", "provider=\"aws\"") >= content.Length, text);
        Assert.True(Sample(text, "skyport_credentials_issuances", "outcome=\"issued\"", "provider=\"aws\"") >= 1, text);
        Assert.True(Sample(text, "skyport_credentials_issuances", "outcome=\"failed\"", "provider=\"aws\"") >= 1, text);
        Assert.Contains("http_route=\"/api/cloud/storage/get\"", text);
        Assert.Contains("skyport_jobs_queue_wait_seconds_count", text);
    }

    [Fact]
    public async Task Logs_OfATransfer_CarryTheJobIdOnEveryJobLine_AndTheSessionUsersIdOnTheRequestEvent()
    {
        var bucket = await fixture.S3.NewBucketAsync();
        await fixture.S3.PutBytesAsync(bucket, "logged.txt", Encoding.UTF8.GetBytes("logged\n"));
        var history = await User.CreateHistoryAsync();
        var before = fixture.Logs.Events.Count;

        using var response = await User.PostAsJsonAsync("/api/cloud/storage/get", new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { "logged.txt" } });
        var datasetId = (await GalaxyAssert.OkJsonAsync(response))[0].GetProperty("id").GetString()!;
        Assert.Equal("ok", (await User.WaitForDatasetAsync(datasetId)).GetProperty("state").GetString());

        // The request's one event names the session's user by encoded id, and no log line holds the session cookie.
        var requestId = response.Headers.GetValues(RequestLogs.RequestIdHeader).Single();
        var userId = (await User.GetFromJsonAsync<JsonElement>("/api/users/current")).GetProperty("id").GetString();
        var events = fixture.Logs.Events.Skip(before).ToList();
        var requestEvent = Assert.Single(events, e => e.Category == RequestLogs.Category && Equals(e.Values.GetValueOrDefault("RequestId"), requestId));
        Assert.Equal(userId, requestEvent.Values["UserId"]);
        var text = fixture.Logs.AllText();
        Assert.All(fixture.Login.Cookies.GetAllCookies(), cookie => Assert.DoesNotContain(cookie.Value, text));
        SecretAssert.NoJwt(text, "the log");

        // Every line the job wrote carries its id, and the trace id of its job span: a log line leads to its trace.
        var started = Assert.Single(events, e => e.Category.EndsWith(".JobRunner", StringComparison.Ordinal) && e.Message.Contains("(cloud_get) started"));
        var jobId = started.Scopes["JobId"];
        // The job span ends after the runner's last line.
        var job = await fixture.Spans.WaitForAsync(s => s.OperationName == "skyport.job" && Equals(s.GetTagItem("skyport.job.id"), jobId)
                                                        && s.TraceId.ToString() == started.Scopes["TraceId"] as string, "of the logged job");
        Assert.Equal("cloud_get", job.GetTagItem("skyport.job.tool"));
        var runnerLines = fixture.Logs.Events.Skip(before).Where(e => e.Category.EndsWith(".JobRunner", StringComparison.Ordinal)).ToList();
        Assert.Contains(runnerLines, e => e.Message.Contains("finished ok"));
        Assert.All(runnerLines, e => Assert.Equal(jobId, e.Scopes.GetValueOrDefault("JobId")));
    }

    private async Task<string> NewAuthzAsync(string? identity, string roleArn) =>
        (await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/authz",
            new { provider = "aws", config = new { role_arn = roleArn, endpoint = fixture.Cloud.S3.ToString(), region = "us-east-1" }, authn_id = identity })))
        .GetProperty("id").GetString()!;

    /// <summary>The value of the Prometheus sample named <paramref name="name"/>… whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sample(string text, string name, params string[] labels)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains('{') && labels.All(l.Contains));
        Assert.True(line is not null, $"No {name} sample with {string.Join(", ", labels)} in:\n{text}");
        return double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
