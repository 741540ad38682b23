using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Rein.Server.Traces;

namespace Rein.Benchmarks;

/// <summary>
/// The ceiling for trace ingest: the same rows ingest would store, already normalised and with their attributes
/// serialised, written straight into <c>spans</c> of a migrated database in transactions of 4 000 (the writer's
/// default <c>Traces:MaxSpansPerTransaction</c>). SQLite: one prepared INSERT; PostgreSQL: binary COPY. No duplicate
/// check, no run rows, no HTTP.
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- ingest-ceiling --database sqlite --data-dir DIR --spans 200000</c>
/// </summary>
public static class TraceBulkInsertCeiling
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var total = arguments.Int("--spans", 200_000);
        var perTransaction = arguments.Int("--transaction", 4_000);
        await using var database = TraceBenchData.Open(arguments);
        var project = await TraceBenchData.ProjectAsync(database);

        var traces = new GenAiTraces(seed: 11);
        var normalizer = TraceBenchData.Normalizer();
        var salt = (uint)Random.Shared.Next();
        var now = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000) * 1_000_000;
        var rows = new List<object?[]>(total);
        for (var run = 0; rows.Count < total; run += 32)
        {
            var plans = Enumerable.Range(run, 32).Select(i => new RunPlan(TraceBenchData.TraceId(salt, i), 16, now + i));
            rows.AddRange(TraceBenchData.Normalize(traces, normalizer, plans).Select(s => TraceStore.SpanValues(project, s)));
        }

        rows.RemoveRange(total, rows.Count - total);
        var bytes = rows.Sum(r => r.Sum(v => v is string s ? s.Length : 8));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total} rows prepared, {bytes / (double)total:F0} bytes of values a row on average"));

        var clock = Stopwatch.StartNew();
        foreach (var chunk in rows.Chunk(perTransaction))
        {
            if (database.Kind == Rein.Server.Storage.DatabaseKind.Postgres)
            {
                await CopyAsync(database, chunk);
            }
            else
            {
                await InsertAsync(database, chunk);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{arguments.Get("--database", "sqlite")} ceiling: {total / clock.Elapsed.TotalSeconds:F0} spans/s ({total} spans in {clock.Elapsed.TotalSeconds:F1} s, transactions of {perTransaction})"));
        return 0;
    }

    private static Task InsertAsync(Rein.Server.Storage.ReinDatabase database, object?[][] rows) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var names = TraceStore.SpanColumns.Split(", ");
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO spans ({TraceStore.SpanColumns}) VALUES ({string.Join(", ", names.Select(n => "@" + n))})";
            var parameters = names.Select(n =>
            {
                var p = command.CreateParameter();
                p.ParameterName = "@" + n;
                command.Parameters.Add(p);
                return p;
            }).ToArray();
            await command.PrepareAsync();
            foreach (var row in rows)
            {
                for (var i = 0; i < row.Length; i++)
                {
                    parameters[i].Value = row[i] ?? DBNull.Value;
                }

                await command.ExecuteNonQueryAsync();
            }
        }, CancellationToken.None);

    private static Task CopyAsync(Rein.Server.Storage.ReinDatabase database, object?[][] rows) =>
        database.WriteAsync(async (connection, _) =>
        {
            var types = TraceStore.SpanColumnTypes;
            await using var copy = await ((NpgsqlConnection)connection).BeginBinaryImportAsync($"COPY spans ({TraceStore.SpanColumns}) FROM STDIN (FORMAT BINARY)");
            foreach (var row in rows)
            {
                await copy.StartRowAsync();
                for (var i = 0; i < row.Length; i++)
                {
                    if (row[i] is null)
                    {
                        await copy.WriteNullAsync();
                    }
                    else
                    {
                        await copy.WriteAsync(row[i], types[i]);
                    }
                }
            }

            await copy.CompleteAsync();
        }, CancellationToken.None);
}
