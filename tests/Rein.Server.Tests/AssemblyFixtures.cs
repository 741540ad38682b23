using Rein.Testing;

// One throwaway PostgreSQL cluster serves every PostgreSQL test of this assembly; each test gets its own database.
[assembly: AssemblyFixture(typeof(PostgresCluster))]
