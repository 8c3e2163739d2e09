using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Skyport.Migrations.Postgres.Migrations
{
    /// <summary>
    /// Notifies channel <c>skyport_jobs</c> whenever a job becomes queued (new, retried, released or taken over),
    /// whichever process did it; workers elsewhere LISTEN and wake at once instead of at their next poll.
    /// The notification is sent when the queuing transaction commits. The payload (the job id) keeps
    /// notifications of one transaction distinct, so a batch of N jobs wakes up to N workers.
    /// </summary>
    public partial class JobQueueNotify : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION skyport_notify_job_queued() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('skyport_jobs', NEW."Id"::text);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER jobs_notify_queued AFTER INSERT OR UPDATE OF "State" ON jobs
                    FOR EACH ROW WHEN (NEW."State" = 'Queued') EXECUTE FUNCTION skyport_notify_job_queued();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER jobs_notify_queued ON jobs;
                DROP FUNCTION skyport_notify_job_queued();
                """);
        }
    }
}
