using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>One decision in full: what was asked, what was answered, which rule of which version decided it, and
/// the run's state the decision saw.</summary>
public sealed class DecisionModel(DecisionLog log) : PageModel
{
    public DecisionResponse Decision { get; private set; } = null!;

    public ObligationsResponse Obligations { get; private set; } = ObligationsResponse.None;

    public IReadOnlyList<ShadowDecision> Shadow { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (!DecisionIds.IsValid(id) || await log.GetAsync(HttpContext.Caller(), id, cancellationToken) is not { } decision)
        {
            return NotFound();
        }

        Decision = decision;
        Obligations = Read<ObligationsResponse>(decision.Obligations) ?? ObligationsResponse.None;
        Shadow = Read<List<ShadowDecision>>(decision.Shadow) ?? [];
        return Page();
    }

    /// <summary>The log's JSON columns as the gate wrote them; a value of another shape is shown as nothing rather
    /// than failing the page.</summary>
    private static T? Read<T>(JsonElement value)
        where T : class
    {
        try
        {
            return value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? value.Deserialize<T>(DecisionJson.Options) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
