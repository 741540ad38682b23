using Npgsql;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

public sealed class PostgresClusterTests(PostgresCluster cluster)
{
    [Fact]
    public async Task CreateDatabaseAsync_GivesAnEmptyDatabaseThatAnswers()
    {
        var connectionString = await cluster.CreateDatabaseAsync();

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
