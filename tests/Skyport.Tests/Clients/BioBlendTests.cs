using System.Diagnostics;
using System.Text;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Clients;

/// <summary>
/// Galaxy's own Python client, BioBlend, against a real Skyport: runs tests/bioblend/test_bioblend.py
/// (Debian's python3-bioblend under /usr/bin/python3) and expects it to pass.
/// </summary>
public sealed class BioBlendTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task BioBlendScript_AgainstRealServer_Passes()
    {
        var root = RepositoryRoot();
        var script = Path.Combine(root, "tests", "bioblend", "test_bioblend.py");
        Assert.True(File.Exists(script), $"{script} is missing.");
        await EnsureBioBlendInstalledAsync();

        var (exitCode, output) = await RunAsync(Python, ["-u", script], root, new Dictionary<string, string>
        {
            ["SKYPORT_URL"] = fixture.Server.BaseAddress.ToString().TrimEnd('/'),
            ["SKYPORT_API_KEY"] = fixture.Server.AdminKey,
        });

        Assert.True(exitCode == 0, $"test_bioblend.py exited with {exitCode}:\n{output}");
    }

    /// <summary>A missing client is a broken test machine, never a reason to skip.</summary>
    private static async Task EnsureBioBlendInstalledAsync()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing. Run ./test.sh, which installs python3 and python3-bioblend.");
        var (exitCode, output) = await RunAsync(Python, ["-c", "import bioblend, tusclient; print(bioblend.__version__)"], null, new Dictionary<string, string>());
        Assert.True(exitCode == 0,
            $"BioBlend is not importable by {Python}. Run ./test.sh, which installs python3-bioblend (apt).\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        // A proxy configured for the machine must not capture loopback requests.
        start.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        start.Environment["no_proxy"] = "127.0.0.1,localhost";

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (output)
            {
                Assert.Fail($"{Path.GetFileName(fileName)} did not finish within {Timeout.TotalMinutes} minutes:\n{output}");
            }
        }
        // WaitForExit without a timeout drains the redirected streams.
        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skyport.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Skyport.slnx above {AppContext.BaseDirectory}.");
    }
}
