using System.Diagnostics.Metrics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Operations.Metrics;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

public sealed class MetricsTests
{
    [Fact]
    public async Task PrometheusEndpoint_IsOffByDefault()
    {
        await using var server = await SkyportServer.StartAsync();

        await GalaxyAssert.ErrorAsync(await server.Anonymous().GetAsync("/metrics"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task PrometheusEndpoint_WhenEnabled_ReportsRoutesJobsAndQueue()
    {
        await using var server = await SkyportServer.StartAsync(new Dictionary<string, string?> { ["Skyport:Metrics:PrometheusEnabled"] = "true" });
        using var admin = server.Admin();
        var history = await admin.CreateHistoryAsync();
        var dataset = await admin.WaitForDatasetAsync(await admin.PasteAsync(history, "hello\n"));
        Assert.Equal("ok", dataset.GetProperty("state").GetString());

        // The request metric of the last request is recorded as it completes, and the job row turns ok just after its
        // dataset (the runner records the outcome once the handler returns): scrape until both are there.
        const string okJobs = @"skyport_jobs\{[^}]*state=""ok""[^}]*\} [1-9]";
        string text = "";
        for (var i = 0; i < 50 && !(text.Contains("http_route=\"/api/datasets/{id}\"") && Regex.IsMatch(text, okJobs)); i++)
        {
            text = await server.Anonymous().GetStringAsync("/metrics");
            await Task.Delay(100);
        }

        Assert.Contains("http_server_request_duration_seconds_count{", text);
        Assert.Contains("http_route=\"/api/histories/\"", text);
        Assert.Contains("http_route=\"/api/datasets/{id}\"", text);
        Assert.Matches(okJobs, text);
        Assert.Contains("skyport_jobs_queue_depth", text);
        Assert.Contains("skyport_jobs_queue_wait_seconds_count", text);
        Assert.DoesNotContain(server.AdminKey, text);
    }

    [Fact]
    public async Task Jobs_RecordTheirQueueWait_AndGaugesReadTheDatabase()
    {
        await using var server = await SkyportServer.StartAsync();
        var meters = server.Services.GetRequiredService<IMeterFactory>();
        _ = server.Services.GetRequiredService<SkyportMetrics>();
        var waits = new List<(double Value, string? Tool)>();
        var gauges = new Dictionary<string, long>();
        using var listener = new MeterListener();
        // Only this server's meter: other servers in this test process have meters of the same name.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SkyportMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "skyport.jobs.queue.wait")
            {
                lock (waits)
                {
                    waits.Add((value, tags.ToArray().FirstOrDefault(t => t.Key == "tool").Value as string));
                }
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var state = tags.ToArray().FirstOrDefault(t => t.Key == "state").Value as string;
            lock (gauges)
            {
                gauges[instrument.Name + (state is null ? "" : ":" + state)] = value;
            }
        });
        listener.Start();
        using var admin = server.Admin();
        var history = await admin.CreateHistoryAsync();

        for (var i = 0; i < 2; i++)
        {
            var dataset = await admin.WaitForDatasetAsync(await admin.PasteAsync(history, $"line {i}\n"));
            Assert.Equal("ok", dataset.GetProperty("state").GetString());
        }
        listener.RecordObservableInstruments();

        lock (waits)
        {
            Assert.Equal(2, waits.Count);
            Assert.All(waits, w => Assert.True(w.Value >= 0));
            Assert.All(waits, w => Assert.Equal("__DATA_FETCH__", w.Tool));
        }
        Assert.Equal(2, gauges["skyport.jobs:ok"]);
        Assert.Equal(0, gauges["skyport.jobs:queued"]);
        Assert.Equal(0, gauges["skyport.jobs.queue.depth"]);
    }
}
