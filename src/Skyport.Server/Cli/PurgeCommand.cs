using System.CommandLine;
using Skyport.Server.Galaxy;
using Skyport.Server.Operations.Maintenance;

namespace Skyport.Server.Cli;

/// <summary><c>./skyport purge --older-than DAYS [--dry-run]</c>: frees the disk space of long-deleted datasets.</summary>
internal static class PurgeCommand
{
    public static Command Create(Option<string?> dataDir)
    {
        var days = new Option<double>("--older-than") { Description = "Retention: purge what was deleted more than this many days ago.", DefaultValueFactory = _ => 30 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would be purged." };
        var purge = new Command("purge", "Remove the files of datasets deleted (or in histories deleted) before the retention age.") { days, dryRun, dataDir };
        purge.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var age = result.GetValue(days);
            if (age < 0 || double.IsNaN(age))
            {
                throw new RequestParameterInvalidException($"--older-than must be zero or more days (got {age}).");
            }
            var outcome = await services.GetRequiredService<DeletedDataPurger>().PurgeAsync(TimeSpan.FromDays(age), result.GetValue(dryRun), ct);
            Console.WriteLine(result.GetValue(dryRun)
                ? $"Would purge {outcome.Datasets} datasets ({ByteSize.Nice(outcome.Bytes)})."
                : $"Purged {outcome.Datasets} datasets ({ByteSize.Nice(outcome.Bytes)}) and {outcome.Histories} histories.");
        }, ct));
        return purge;
    }
}
