using System.Globalization;
using Microsoft.Extensions.Logging;
using Rein.Core.Identity;
using Rein.Core.Traces;
using Rein.Server.Identity;

namespace Rein.Server.Traces;

/// <summary>What became of an export: spans stored (or already stored), and spans refused with why.</summary>
public sealed record IngestResult(int Accepted, int Rejected, string? Message);

/// <summary>
/// Taking traces in, whatever the transport: each span is redacted, bounded and read for its meaning on the request's
/// thread, then committed by the <see cref="TraceWriter"/> before the caller is answered.
/// </summary>
public sealed class TraceIngest
{
    private readonly TraceWriter _writer;
    private readonly TraceQueries _queries;
    private readonly SpanNormalizer _normalizer;
    private readonly TracesOptions _options;
    private readonly ILogger<TraceIngest> _logger;

    internal TraceIngest(TraceWriter writer, TraceQueries queries, SpanNormalizer normalizer, TracesOptions options, ILogger<TraceIngest> logger)
    {
        _writer = writer;
        _queries = queries;
        _normalizer = normalizer;
        _options = options;
        _logger = logger;
    }

    /// <param name="caller">An agent or admin key; the spans go to its project. An agent key's spans are its agent's
    /// (a span claiming another agent is stored under the key's and flagged); an admin key's keep their claims and are
    /// marked as forwarded by it.</param>
    /// <param name="spans">The decoded spans.</param>
    /// <param name="rejected">Spans the transport already refused (bad ids), to report alongside.</param>
    /// <param name="rejectionMessage">Why the transport refused them.</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <exception cref="TraceIngestUnavailableException">The queue is full, the key or project holds its share of it, or the
    /// server is stopping: retry.</exception>
    public async Task<IngestResult> IngestAsync(Caller caller, IReadOnlyList<RawSpan> spans, int rejected, string? rejectionMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(spans);
        Permissions.Demand(caller, Permission.Act);
        var problems = new List<string>();
        if (rejectionMessage is not null)
        {
            problems.Add(rejectionMessage);
        }

        var take = spans.Count;
        if (take > _options.MaxSpansPerRequest)
        {
            take = _options.MaxSpansPerRequest;
            rejected += spans.Count - take;
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{spans.Count - take} spans over the limit of {_options.MaxSpansPerRequest} spans per request (Traces:MaxSpansPerRequest) were refused"));
        }

        var settings = await _queries.EffectiveSettingsAsync(caller.ProjectId, cancellationToken);
        var bound = AgentIdentity.BoundAgent(caller);
        var sender = new SpanSender(bound, bound is null ? caller.KeyId : null);
        var normalized = new Span[take];
        var redactions = 0;
        for (var i = 0; i < take; i++)
        {
            normalized[i] = _normalizer.Normalize(spans[i], settings.CaptureContent, sender);
            redactions += normalized[i].Redactions;
        }

        var outcome = await _writer.EnqueueAsync(caller.ProjectId, caller.KeyId, normalized, cancellationToken);
        if (outcome.RefusedTraceFull > 0)
        {
            rejected += outcome.RefusedTraceFull;
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{outcome.RefusedTraceFull} spans were refused because their run already holds {_options.MaxSpansPerTrace} spans (Traces:MaxSpansPerTrace)"));
        }

        Log.TraceIngested(_logger, caller.ProjectId, outcome.Stored, outcome.Duplicates, rejected, redactions);
        return new IngestResult(outcome.Stored + outcome.Duplicates, rejected, problems.Count == 0 ? null : string.Join("; ", problems));
    }
}
