// Times DatasetContentsJson.WriteAsync alone: 10,000 rows into a pipe that never pushes back, as the listing
// of a 10,000-dataset history writes them. Prints the median and the fastest of N runs after as many warm-ups.
using System.Diagnostics;
using System.IO.Pipelines;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;

var items = args.Length > 0 ? int.Parse(args[0]) : 10_000;
var runs = args.Length > 1 ? int.Parse(args[1]) : 200;
var ids = new IdEncoder(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
var now = DateTime.UtcNow;
var rows = Enumerable.Range(1, items).Select(i => new DatasetContentRow(i, i, $"sample_{i}.fastq", DatasetState.Ok, "fastqsanger",
    1_000_000L + i, false, false, true, now, now)).ToArray();

for (var i = 0; i < runs; i++)
{
    await WriteOnceAsync();
}
var times = new List<double>();
for (var i = 0; i < runs; i++)
{
    times.Add(await WriteOnceAsync());
}
times.Sort();
Console.WriteLine($"DatasetContentsJson: {items} items, {runs} runs: p50 {times[runs / 2]:F2} ms, min {times[0]:F2} ms");

async Task<double> WriteOnceAsync()
{
    var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
    var clock = Stopwatch.StartNew();
    await DatasetContentsJson.WriteAsync(pipe.Writer, 42, Rows(), ids, CancellationToken.None);
    var elapsed = clock.Elapsed.TotalMilliseconds;
    await pipe.Writer.CompleteAsync();
    await pipe.Reader.CompleteAsync();
    return elapsed;
}

async IAsyncEnumerable<DatasetContentRow> Rows()
{
    foreach (var row in rows)
    {
        yield return row;
    }
    await Task.CompletedTask;
}
