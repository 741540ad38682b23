using System.Buffers.Binary;
using Dapper;
using Google.Protobuf;
using Rein.Core.Traces;
using Rein.Server.Storage;
using Rein.Server.Traces.Otlp;

namespace Rein.Benchmarks;

/// <summary>
/// What the trace modes share: the database a server migrated (SQLite file in a data folder, or a PostgreSQL
/// connection string), its project, and normalised spans made the way ingest makes them (protobuf bytes, decoded,
/// normalised with the default rules).
/// </summary>
internal static class TraceBenchData
{
    public static ReinDatabase Open(Arguments arguments) => arguments.Get("--database", "sqlite") switch
    {
        "sqlite" => new SqliteReinDatabase(Path.Combine(arguments.Get("--data-dir", ".rein"), DatabaseTarget.SqliteFileName)),
        "postgres" or "postgresql" => new PostgresReinDatabase(arguments.Get("--connection", "Host=/tmp;Port=55432;Username=postgres;Database=rein")),
        var other => throw new ArgumentException($"--database must be sqlite or postgres, not '{other}'"),
    };

    /// <summary>The server's first project: the one the admin key belongs to.</summary>
    public static Task<string> ProjectAsync(ReinDatabase database) =>
        database.ReadAsync(async c => await c.QuerySingleAsync<string>("SELECT id FROM projects ORDER BY created_at LIMIT 1"), CancellationToken.None);

    public static SpanNormalizer Normalizer() => new(new Redactor(new RedactionRules()), PriceTable.Default, new TraceLimits());

    /// <summary>A trace id no earlier run of any mode used: a per-process salt and a counter.</summary>
    public static byte[] TraceId(uint salt, int n)
    {
        var id = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(id, salt);
        BinaryPrimitives.WriteInt32BigEndian(id.AsSpan(4), n);
        BinaryPrimitives.WriteInt64BigEndian(id.AsSpan(8), (long)salt * 31 + n);
        return id;
    }

    /// <summary>The runs as stored: built, serialised, decoded and normalised like an ingest request.</summary>
    public static Span[] Normalize(GenAiTraces traces, SpanNormalizer normalizer, IEnumerable<RunPlan> runs)
    {
        var decoded = OtlpDecoder.DecodeProtobuf(traces.Build(runs).ToByteArray());
        var spans = new Span[decoded.Spans.Count];
        for (var i = 0; i < spans.Length; i++)
        {
            spans[i] = normalizer.Normalize(decoded.Spans[i], captureContent: true);
        }

        return spans;
    }
}
