using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;

namespace Skyport.Tests.Datasets;

/// <summary>The hand-written contents listing must be exactly what the documented item type serializes to.</summary>
public class DatasetContentsJsonTests
{
    private static readonly IdEncoder Ids = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static TheoryData<string> Names => new()
    {
        "plain.txt",
        "with \"quotes\" and \\backslash\\",
        "tab\there, newline\nthere, nul\0, bell\u0007",
        "ünïcödé – 日本語 – 🧬.fastq",
        "</script><b>html</b> & 'apostrophe' +plus",
        "",
        new string('x', 1000),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Write_MatchesTheSerializedItems(string name)
    {
        var times = new[]
        {
            new DateTime(2026, 11, 26, 3, 25, 24, DateTimeKind.Utc).AddTicks(5908121),
            new DateTime(1999, 1, 2, 23, 59, 59, DateTimeKind.Utc).AddTicks(9999999),
            new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        var rows = Enum.GetValues<DatasetState>().Select((state, i) => new DatasetContentRow(
            Id: 1 + i * 7919L, Hid: i + 1, Name: name, State: state, Extension: i % 2 == 0 ? "fastqsanger.gz" : "txt",
            FileSize: i * 1_000_000_007L, Deleted: i % 2 == 1, Purged: i % 3 == 1, Visible: i % 4 != 3,
            CreateTime: times[i % times.Length], UpdateTime: times[(i + 1) % times.Length])).ToList();

        var written = await WriteAsync(42, rows);

        var history = Ids.Encode(42);
        var items = rows.Select(r => new DatasetContentItem(Ids.Encode(r.Id), r.Hid, r.Name, DatasetViews.StateName(r.State), r.Extension,
            r.FileSize, r.Deleted, r.Purged, r.Visible, history, r.CreateTime, r.UpdateTime,
            $"/api/histories/{history}/contents/{Ids.Encode(r.Id)}")).ToList();
        Assert.Equal(JsonSerializer.Serialize(items, GalaxyJson.Options), written);
    }

    [Fact]
    public async Task Write_ManyRows_IsOneValidArrayAcrossFlushes()
    {
        var rows = Enumerable.Range(1, 5_000).Select(i => new DatasetContentRow(i, i, $"dataset {i}", DatasetState.Ok, "tabular", i,
            false, false, true, DateTime.UnixEpoch.AddSeconds(i), DateTime.UnixEpoch.AddSeconds(2 * i))).ToList();

        var written = await WriteAsync(7, rows);

        var parsed = JsonDocument.Parse(written).RootElement.EnumerateArray().ToList();
        Assert.Equal(5_000, parsed.Count);
        Assert.Equal("dataset 5000", parsed[^1].GetProperty("name").GetString());
        Assert.Equal("1970-01-01T02:46:40.000000", parsed[^1].GetProperty("update_time").GetString());
    }

    [Fact]
    public async Task Write_ManyRows_FlushesEveryFewBlocksInsteadOfHoldingTheWholeListing()
    {
        var rows = Enumerable.Range(1, 5_000).Select(i => new DatasetContentRow(i, i, $"dataset {i}", DatasetState.Ok, "tabular", i,
            false, false, true, DateTime.UnixEpoch, DateTime.UnixEpoch)).ToList();
        var pipe = new Pipe();
        var counting = new FlushCountingWriter(pipe.Writer);
        var reading = ReadAllAsync(pipe.Reader);

        await DatasetContentsJson.WriteAsync(counting, 7, rows.ToAsyncEnumerable(), Ids, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        var written = await reading;

        Assert.True(written.Length > 20 * DatasetContentsJson.FlushThreshold, $"only {written.Length} bytes");
        Assert.InRange(counting.Flushes, written.Length / (2 * DatasetContentsJson.FlushThreshold), int.MaxValue);
        Assert.InRange(counting.MostUnflushed, 1, DatasetContentsJson.FlushThreshold + 8192);
    }

    [Fact]
    public async Task Write_NoRows_IsAnEmptyArray()
    {
        Assert.Equal("[]", await WriteAsync(1, []));
    }

    private static async Task<string> WriteAsync(long history, IReadOnlyList<DatasetContentRow> rows)
    {
        var pipe = new Pipe();
        var reading = ReadAllAsync(pipe.Reader);
        await DatasetContentsJson.WriteAsync(pipe.Writer, history, rows.ToAsyncEnumerable(), Ids, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        return await reading;
    }

    /// <summary>Counts flushes and the most bytes ever committed without one.</summary>
    private sealed class FlushCountingWriter(PipeWriter inner) : PipeWriter
    {
        private long _unflushed;

        public int Flushes { get; private set; }

        public long MostUnflushed { get; private set; }

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            _unflushed += bytes;
            MostUnflushed = Math.Max(MostUnflushed, _unflushed);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Flushes++;
            _unflushed = 0;
            return inner.FlushAsync(cancellationToken);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        using var buffer = new MemoryStream();
        await reader.CopyToAsync(buffer);
        await reader.CompleteAsync();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
