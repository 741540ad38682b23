using Rein.Testing;

// `rein serve --database` is exercised against a real, throwaway PostgreSQL cluster.
[assembly: AssemblyFixture(typeof(PostgresCluster))]
