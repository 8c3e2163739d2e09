using Skyport.Tests.CloudAuthz;
using Skyport.Tests.Datasets;
using Skyport.Tests.Histories;
using Skyport.Tests.Infrastructure;
using Skyport.Tests.Jobs;
using Skyport.Tests.Uploads;
using Skyport.Tests.Users;

namespace Skyport.Tests.ScaleOut;

// The data, job and API suites once more, each class on a database of its own in the test PostgreSQL cluster.
// (The base class's SQLite fixture is started too, unused: xunit creates every IClassFixture a class implements.)

public sealed class HistoriesApiTestsOnPostgres(PostgresServerFixture fixture) : HistoriesApiTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class DatasetsApiTestsOnPostgres(PostgresServerFixture fixture) : DatasetsApiTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class DatasetDisplayTestsOnPostgres(PostgresServerFixture fixture) : DatasetDisplayTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class HistoryContentsApiTestsOnPostgres(PostgresServerFixture fixture) : HistoryContentsApiTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class PurgeInBodyTestsOnPostgres(PostgresServerFixture fixture) : PurgeInBodyTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class JobsApiTestsOnPostgres(PostgresServerFixture fixture) : JobsApiTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class JobCancellationTestsOnPostgres(PostgresServerFixture fixture) : JobCancellationTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class UsersApiTestsOnPostgres(PostgresServerFixture fixture) : UsersApiTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class AuthenticationApiTestsOnPostgres(PostgresServerFixture fixture) : AuthenticationApiTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class FetchSourcesTestsOnPostgres(PostgresServerFixture fixture) : FetchSourcesTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class FetchValidationTestsOnPostgres(PostgresServerFixture fixture) : FetchValidationTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class TusUploadTestsOnPostgres(PostgresServerFixture fixture) : TusUploadTests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class Upload1TestsOnPostgres(PostgresServerFixture fixture) : Upload1Tests(fixture), IClassFixture<PostgresServerFixture>;

public sealed class AuthzApiTestsOnPostgres(PostgresServerFixture fixture) : AuthzApiTests(fixture), IClassFixture<PostgresServerFixture>;
