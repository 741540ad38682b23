using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

public static class TracesRegistration
{
    /// <summary>Ingest (normaliser, queue and writer), queries, settings and the retention job.</summary>
    public static ReinBuilder AddTraces(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var services = rein.Services;
        services.AddSingleton(sp => CreateRedactor(sp.GetRequiredService<TracesOptions>()));
        services.AddSingleton(sp => CreateNormalizer(sp.GetRequiredService<TracesOptions>(), sp.GetRequiredService<Redactor>()));
        services.AddSingleton<TraceStore>();
        services.AddSingleton<TraceWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<TraceWriter>());
        // Constructed here: their constructors take internal parts and are not public.
        services.AddSingleton(sp => new TraceQueries(
            sp.GetRequiredService<TraceStore>(), sp.GetRequiredService<Storage.ReinDatabase>(), sp.GetRequiredService<Audit.AuditLog>(),
            sp.GetRequiredService<TracesOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TraceQueries>>()));
        services.AddSingleton(sp => new TraceIngest(
            sp.GetRequiredService<TraceWriter>(), sp.GetRequiredService<TraceQueries>(), sp.GetRequiredService<SpanNormalizer>(),
            sp.GetRequiredService<TracesOptions>(), sp.GetRequiredService<ILogger<TraceIngest>>()));
        services.AddSingleton<TraceRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<TraceRetention>());
        return rein;
    }

    /// <summary>The secret detectors of traces, shared with every capability that stores what agents send.</summary>
    internal static Redactor CreateRedactor(TracesOptions options) =>
        new(new RedactionRules { Patterns = options.RedactPatterns, DropAttributes = options.DropAttributes });

    internal static SpanNormalizer CreateNormalizer(TracesOptions options, Redactor? redactor = null)
    {
        var prices = PriceTable.Default.With(options.Prices.ToDictionary(
            p => p.Key, p => new ModelPrice(p.Value.Input ?? 0, p.Value.Output ?? 0, p.Value.CachedInput), StringComparer.OrdinalIgnoreCase));
        redactor ??= CreateRedactor(options);
        var limits = new TraceLimits
        {
            MaxAttributesPerSpan = options.MaxAttributesPerSpan,
            MaxAttributeValueLength = options.MaxAttributeValueLength,
            MaxEventsPerSpan = options.MaxEventsPerSpan,
            MaxAttributesPerEvent = options.MaxAttributesPerEvent,
        };
        return new SpanNormalizer(redactor, prices, limits);
    }
}
