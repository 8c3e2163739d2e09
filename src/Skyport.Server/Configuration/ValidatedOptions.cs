using Microsoft.Extensions.Options;

namespace Skyport.Server.Configuration;

/// <summary>Options that can say what is wrong with themselves, naming each bad key in full.</summary>
public interface IValidatedOptions
{
    IEnumerable<string> Validate(string section);
}

public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Binds <paramref name="section"/> to <typeparamref name="T"/>, rejecting keys that name no
    /// property (a misspelt setting fails loudly instead of being ignored), and validates at start.
    /// </summary>
    /// <remarks>
    /// <paramref name="rejectUnknownKeys"/> is off only for a section that has feature sub-sections of its own.
    /// </remarks>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section, bool rejectUnknownKeys = true)
        where T : class, IValidatedOptions
    {
        services.AddSingleton<IValidateOptions<T>>(new Validator<T>(section));
        return services.AddOptions<T>()
            .BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = rejectUnknownKeys)
            .ValidateOnStart();
    }

    private sealed class Validator<T>(string section) : IValidateOptions<T> where T : class, IValidatedOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = options.Validate(section).ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
