using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skyport.Tests.Operations;

/// <summary>One captured log event with its structured values and the values of every scope around it.</summary>
public sealed record CapturedEvent(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values,
    IReadOnlyDictionary<string, object?> Scopes, string? Exception);

/// <summary>Keeps every event a server logs, with its key/value state and its scopes (what a JSON log line would carry).</summary>
public sealed class StructuredLogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedEvent> _events = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<CapturedEvent> Events => _events;

    public void AddTo(WebApplicationBuilder builder) => builder.Services.AddSingleton<ILoggerProvider>(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Everything that was logged, as text: messages, values, scopes and exceptions.</summary>
    public string AllText() => string.Join('\n', _events.Select(e =>
        $"{e.Category} {e.Message} {string.Join(' ', e.Values.Select(v => $"{v.Key}={v.Value}"))} {string.Join(' ', e.Scopes.Select(v => $"{v.Key}={v.Value}"))} {e.Exception}"));

    public void Dispose()
    {
    }

    private sealed class Logger(StructuredLogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values[key] = value;
                }
            }
            var scopes = new Dictionary<string, object?>();
            owner._scopes.ForEachScope((scope, into) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> scopePairs)
                {
                    foreach (var (key, value) in scopePairs)
                    {
                        into[key] = value;
                    }
                }
                else if (scope is IEnumerable<KeyValuePair<string, object>> objectPairs)
                {
                    foreach (var (key, value) in objectPairs)
                    {
                        into[key] = value;
                    }
                }
                else
                {
                    into[$"scope{into.Count}"] = scope?.ToString();
                }
            }, scopes);
            owner._events.Enqueue(new CapturedEvent(category, logLevel, formatter(state, exception), values, scopes, exception?.ToString()));
        }
    }
}
