using System.Diagnostics;
using System.Text;

namespace Skyport.Tests.Operations;

/// <summary>
/// The spans an in-memory exporter hands over, safe to read while workers still add to it. Every server in the test
/// process shares the span sources, so tests find their own spans by trace id, bucket or parent, never by count alone.
/// </summary>
public sealed class CapturedSpans : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];

    public int Count
    {
        get
        {
            lock (_spans)
            {
                return _spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public List<Activity> Snapshot()
    {
        lock (_spans)
        {
            return [.. _spans];
        }
    }

    public async Task<Activity> WaitForAsync(Func<Activity, bool> match, string what)
    {
        // Spans end a moment after what the test waited for (a job's row is updated before its span ends); a loaded machine is slow.
        for (var i = 0; i < 600; i++)
        {
            if (Snapshot().FirstOrDefault(match) is { } found)
            {
                return found;
            }
            await Task.Delay(50);
        }
        var seen = string.Join('\n', Snapshot().TakeLast(40).Select(s => $"{s.Kind} {s.DisplayName} trace {s.TraceId} parent {s.ParentSpanId}"));
        throw new Xunit.Sdk.XunitException($"No span {what} was exported. The last ones:\n{seen}");
    }

    /// <summary>Everything exported, as text: names, tags, events, links' trace state and status descriptions.</summary>
    public string AllText()
    {
        var text = new StringBuilder();
        foreach (var span in Snapshot())
        {
            text.Append(span.OperationName).Append(' ').Append(span.DisplayName).Append(' ').Append(span.StatusDescription).Append(' ').Append(span.TraceStateString);
            foreach (var (key, value) in span.TagObjects)
            {
                text.Append(' ').Append(key).Append('=').Append(value);
            }
            foreach (var e in span.Events)
            {
                text.Append(' ').Append(e.Name);
                foreach (var (key, value) in e.Tags)
                {
                    text.Append(' ').Append(key).Append('=').Append(value);
                }
            }
            foreach (var (key, value) in span.Baggage)
            {
                text.Append(' ').Append(key).Append('=').Append(value);
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    public void Add(Activity item)
    {
        lock (_spans)
        {
            _spans.Add(item);
        }
    }

    public void Clear()
    {
        lock (_spans)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (_spans)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
