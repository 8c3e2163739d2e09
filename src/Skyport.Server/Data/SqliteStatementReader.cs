using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace Skyport.Server.Data;

/// <summary>
/// Steps a prepared statement and reads its columns by calling e_sqlite3 directly with the raw handle. SQLitePCL.raw
/// marshals its <c>SafeHandle</c> on every call (an add-ref and a release around each one), which over the 110,000 values
/// of a 10,000-item listing cost about as much as SQLite's own work. The statement is referenced once for the reader's
/// lifetime instead, so it cannot be finalized under it. Column memory is SQLite's: a span returned here is valid only
/// until the next step, as SQLite documents for <c>sqlite3_column_blob</c>.
/// </summary>
internal sealed partial class SqliteStatementReader : IDisposable
{
    private const string Library = "e_sqlite3";
    private readonly sqlite3_stmt _statement;
    private readonly nint _handle;
    private bool _referenced;

    public SqliteStatementReader(sqlite3_stmt statement)
    {
        _statement = statement;
        statement.DangerousAddRef(ref _referenced);
        _handle = statement.DangerousGetHandle();
    }

    /// <summary>SQLite's result code: <c>SQLITE_ROW</c>, <c>SQLITE_DONE</c> or an error.</summary>
    public int Step() => sqlite3_step(_handle);

    public long Int64(int column) => sqlite3_column_int64(_handle, column);

    public int Int32(int column) => sqlite3_column_int(_handle, column);

    /// <summary>The column's bytes (text as UTF-8), valid until the next <see cref="Step"/>.</summary>
    public unsafe ReadOnlySpan<byte> Bytes(int column)
    {
        // SQLite's documented order: the pointer first, then its length.
        var pointer = sqlite3_column_blob(_handle, column);
        var length = sqlite3_column_bytes(_handle, column);
        return pointer == 0 ? [] : new ReadOnlySpan<byte>((void*)pointer, length);
    }

    public void Dispose()
    {
        if (_referenced)
        {
            _referenced = false;
            _statement.DangerousRelease();
        }
    }

    [LibraryImport(Library)]
    private static partial int sqlite3_step(nint statement);

    // The column getters neither block nor call back: no GC transition needed around them.
    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_column_int(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial nint sqlite3_column_blob(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    private static partial int sqlite3_column_bytes(nint statement, int column);
}
