using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Skyport.Tests.Cli;
using Skyport.Tests.CloudStorage;

namespace Skyport.Tests.ScaleOut;

/// <summary>The real host (<c>skyport serve | worker</c>) as a child process on a loopback port of its own.</summary>
internal sealed class ChildHost : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildHost(Process process, Uri url)
    {
        _process = process;
        Url = url;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Url { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>skyport COMMAND --urls URL ARGS</c> and waits until <paramref name="probePath"/> answers.</summary>
    public static async Task<ChildHost> StartAsync(string command, string probePath, IEnumerable<string> args)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var host = new ChildHost(Process.Start(HostProcess.StartInfo([command, "--urls", url.ToString().TrimEnd('/'), .. args]))!, url);
        using var probe = new HttpClient { BaseAddress = url };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(host._process.HasExited, $"skyport {command} exited:\n{host.Output}");
            try
            {
                return (await probe.GetAsync(probePath)).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(240), $"skyport {command} to answer on {url}");
        return host;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
