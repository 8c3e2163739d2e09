using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Histories;
using Skyport.Server.Users;

namespace Skyport.Tests.Datasets;

/// <summary>On SQLite the contents listing reads rows through SQLite's statement API; it must give exactly what the EF Core query gives.</summary>
public sealed class SqliteContentsReaderTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skyport-contents-").FullName;
    private SkyportDbContext _db = null!;
    private long _history;
    private long _otherHistory;

    public async Task InitializeAsync()
    {
        var options = new DbContextOptionsBuilder<SkyportDbContext>();
        DataExtensions.UseSqlite(options, DataExtensions.DefaultSqliteConnectionString(_folder));
        _db = new SkyportDbContext(options.Options);
        await _db.Database.MigrateAsync();

        var now = new DateTime(2026, 11, 26, 7, 0, 0, DateTimeKind.Utc);
        var user = new User { Email = "reader@example.org", Username = "reader", CreateTime = now, UpdateTime = now };
        _db.Users.Add(user);
        await _db.SaveChangesAsync();
        var history = new History { UserId = user.Id, Name = "many", CreateTime = now, UpdateTime = now };
        var other = new History { UserId = user.Id, Name = "other", CreateTime = now, UpdateTime = now };
        _db.Histories.AddRange(history, other);
        await _db.SaveChangesAsync();
        (_history, _otherHistory) = (history.Id, other.Id);

        string[] names = ["plain.txt", "with \"quotes\" and \\backslash\\", "tab\there\nnul\0", "ünïcödé – 日本語 – 🧬.fastq", "", new string('x', 1000)];
        var states = Enum.GetValues<DatasetState>();
        // Whole seconds are stored without a fraction, others with 1 to 7 digits: every stored shape is read back.
        long[] ticks = [0, 1_000_000, 1_200_000, 5_908_121, 9_999_999, 10];
        for (var i = 0; i < 60; i++)
        {
            _db.Datasets.Add(new Dataset
            {
                HistoryId = i % 10 == 9 ? other.Id : history.Id,
                Hid = 60 - i, // inserted out of hid order
                Name = names[i % names.Length],
                State = states[i % states.Length],
                Extension = i % 2 == 0 ? "fastqsanger.gz" : "txt",
                Dbkey = "?",
                FileSize = i * 1_000_000_007L,
                Uuid = Guid.NewGuid(),
                Deleted = i % 3 == 1,
                Purged = i % 6 == 1,
                Visible = i % 4 != 3,
                CreateTime = now.AddDays(-i).AddTicks(ticks[i % ticks.Length]),
                UpdateTime = now.AddSeconds(i).AddTicks(ticks[(i + 1) % ticks.Length]),
            });
        }
        await _db.SaveChangesAsync();
    }

    public static TheoryData<int?, int?, bool?, bool?> Queries => new()
    {
        { null, null, null, null },
        { 10, 5, null, null },
        { 0, null, null, null },
        { null, 40, null, null },
        { null, null, true, null },
        { null, null, false, true },
        { 7, 3, false, false },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Read_GivesWhatTheEfQueryGives(int? limit, int? offset, bool? deleted, bool? visible)
    {
        var query = new ContentsQuery(limit, offset, deleted, visible, null);
        var expected = await DatasetsService.ContentsQuery(_db, _history, query).ToListAsync();

        var read = await SqliteContentsReader.ReadAsync(_db, _history, deleted, visible, offset ?? 0, limit ?? int.MaxValue, CancellationToken.None)
            .ToListAsync();

        if (limit != 0)
        {
            Assert.NotEmpty(expected); // else the comparison would prove nothing
        }
        Assert.Equal(expected, read);
        Assert.All(read, row => Assert.Equal(DateTimeKind.Utc, row.CreateTime.Kind));
    }

    [Fact]
    public async Task Read_OfAnotherHistory_GivesOnlyItsRows()
    {
        var read = await SqliteContentsReader.ReadAsync(_db, _otherHistory, null, null, 0, int.MaxValue, CancellationToken.None).ToListAsync();

        Assert.Equal(6, read.Count);
        Assert.Equal(read.OrderBy(r => r.Hid), read);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
