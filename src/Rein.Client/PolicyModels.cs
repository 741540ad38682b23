using System.Net;
using System.Text.Json;

namespace Rein.Client;

/// <summary>One immutable version of a policy.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="Version">The version number, 1 for the first push.</param>
/// <param name="Hash"><c>sha256:</c> and the hex SHA-256 of the source: the version's identity.</param>
/// <param name="Mode">One of <see cref="PolicyModes.All"/>.</param>
/// <param name="Agents">The agent globs the policy binds to.</param>
/// <param name="Rules">How many rules it has.</param>
/// <param name="TestsPassed">How many embedded tests passed when it was pushed (all of them: a failing policy is refused).</param>
/// <param name="CreatedAt">When it was pushed.</param>
/// <param name="CreatedBy">The id of the key that pushed it.</param>
/// <param name="Active">True when this is the active version.</param>
/// <param name="Source">The policy file; null in a history listing.</param>
/// <param name="Tests">The embedded tests' results; only from <see cref="PoliciesClient.GetVersionAsync"/>.</param>
public sealed record PolicyVersion(
    string Name,
    int Version,
    string Hash,
    string Mode,
    IReadOnlyList<string> Agents,
    int Rules,
    int TestsPassed,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    bool Active,
    string? Source = null,
    IReadOnlyList<PolicyTestOutcome>? Tests = null);

/// <summary>One embedded test of a policy and how it went.</summary>
/// <param name="Name">The test's name.</param>
/// <param name="Line">The test's 1-based line in the policy file.</param>
/// <param name="Passed">True when the decision was what the test expects.</param>
/// <param name="Failure">What was expected and what the decision was, when it failed.</param>
public sealed record PolicyTestOutcome(string Name, int Line, bool Passed, string? Failure);

/// <summary>What <see cref="PoliciesClient.PushAsync"/> did.</summary>
/// <param name="Version">The version the source is now.</param>
/// <param name="Created">True for a new version; false when the same source had been pushed before (its version is returned).</param>
public sealed record PolicyPushResult(PolicyVersion Version, bool Created);

/// <summary>A policy in the project's list.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="ActiveVersion">The active version; null when none is.</param>
/// <param name="LatestVersion">The newest version.</param>
/// <param name="Mode">The mode of the active version, else of the latest.</param>
/// <param name="Agents">The agent globs of that version.</param>
/// <param name="UpdatedAt">When a version was last pushed or activated.</param>
public sealed record PolicySummary(string Name, int? ActiveVersion, int LatestVersion, string Mode, IReadOnlyList<string> Agents, DateTimeOffset UpdatedAt);

/// <summary>An activation, rollback or deactivation of a policy.</summary>
/// <param name="Version">The version made active; null for a deactivation.</param>
/// <param name="Action">One of <c>activate</c>, <c>rollback</c>, <c>deactivate</c>.</param>
/// <param name="At">When.</param>
/// <param name="Actor">The id of the key that did it.</param>
public sealed record PolicyActivation(int? Version, string Action, DateTimeOffset At, string? Actor);

/// <summary>A policy's versions and its activation history.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="ActiveVersion">The active version; null when none is.</param>
/// <param name="LatestVersion">The newest version.</param>
/// <param name="Versions">Every version, without their source.</param>
/// <param name="Activations">Every activation, rollback and deactivation.</param>
public sealed record PolicyHistory(string Name, int? ActiveVersion, int LatestVersion, IReadOnlyList<PolicyVersion> Versions, IReadOnlyList<PolicyActivation> Activations);

/// <summary>One line of a diff between two versions.</summary>
/// <param name="Kind">One of <see cref="DiffKinds.Same"/>, <see cref="DiffKinds.Added"/>, <see cref="DiffKinds.Removed"/>.</param>
/// <param name="Text">The line, without its line break.</param>
/// <param name="OldLine">Its 1-based number in the older version; null for an added line.</param>
/// <param name="NewLine">Its 1-based number in the newer version; null for a removed line.</param>
public sealed record PolicyDiffLine(string Kind, string Text, int? OldLine, int? NewLine);

/// <summary>The line diff of two versions of a policy's source.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="From">The version diffed from.</param>
/// <param name="To">The version diffed to.</param>
/// <param name="Lines">Every line of both versions, in order.</param>
public sealed record PolicyDiff(string Name, int From, int To, IReadOnlyList<PolicyDiffLine> Lines);

/// <summary>The kinds of <see cref="PolicyDiffLine"/>.</summary>
public static class DiffKinds
{
    /// <summary>In both versions.</summary>
    public const string Same = "same";

    /// <summary>Only in the newer version.</summary>
    public const string Added = "added";

    /// <summary>Only in the older version.</summary>
    public const string Removed = "removed";
}

/// <summary>How many replayed decisions a rule changed.</summary>
/// <param name="Rule">The rule that decided under the candidate version.</param>
/// <param name="Count">How many decisions.</param>
public sealed record BacktestRuleCount(string Rule, int Count);

/// <summary>How many replayed decisions about a tool changed.</summary>
/// <param name="Tool">The tool.</param>
/// <param name="Count">How many decisions.</param>
public sealed record BacktestToolCount(string Tool, int Count);

/// <summary>How many replayed decisions went from one effect to another.</summary>
/// <param name="From">The recorded effect.</param>
/// <param name="To">The candidate's effect.</param>
/// <param name="Count">How many decisions.</param>
public sealed record BacktestChange(string From, string To, int Count);

/// <summary>A recorded decision the candidate version decides differently.</summary>
/// <param name="DecisionId">The recorded decision.</param>
/// <param name="At">When it was made.</param>
/// <param name="Tool">The tool.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Before">The recorded effect.</param>
/// <param name="After">The candidate's effect.</param>
/// <param name="Rule">The rule that decided under the candidate.</param>
public sealed record BacktestExample(string DecisionId, DateTimeOffset At, string Tool, string Agent, string Before, string After, string? Rule);

/// <summary>Recorded gate requests replayed against a candidate version.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="Version">The candidate version.</param>
/// <param name="Since">The oldest time replayed.</param>
/// <param name="Considered">How many recorded decisions were replayed.</param>
/// <param name="Changed">How many would now be decided differently.</param>
/// <param name="Errors">How many replays hit an evaluation error (and so were decided deny, fail closed).</param>
/// <param name="ByRule">Changed decisions per deciding rule.</param>
/// <param name="ByTool">Changed decisions per tool.</param>
/// <param name="ByChange">Changed decisions per recorded and new effect.</param>
/// <param name="Examples">Some of the changed decisions.</param>
/// <param name="Truncated">True when more decisions were recorded since <paramref name="Since"/> than the limit let replay.</param>
/// <param name="Redemptions">Replayed calls that carried an approval token, replayed with it: a redeemed approval stays
/// allowed unless the candidate denies the call; a refused token stays denied.</param>
public sealed record PolicyBacktest(
    string Name,
    int Version,
    DateTimeOffset Since,
    int Considered,
    int Changed,
    int Errors,
    IReadOnlyList<BacktestRuleCount> ByRule,
    IReadOnlyList<BacktestToolCount> ByTool,
    IReadOnlyList<BacktestChange> ByChange,
    IReadOnlyList<BacktestExample> Examples,
    bool Truncated,
    int Redemptions = 0);

/// <summary>A problem in a pushed policy file, at a 1-based line and column.</summary>
/// <param name="File">The file name sent with the push.</param>
/// <param name="Line">The line.</param>
/// <param name="Column">The column.</param>
/// <param name="Message">What is wrong.</param>
public sealed record PolicyFileProblem(string File, int Line, int Column, string Message)
{
    /// <summary>The problem as compilers print one: <c>file:line:column: message</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Why the server refused a policy (422): problems in the file, or embedded tests that failed.</summary>
/// <param name="Problems">Parse and check problems, with their place in the file.</param>
/// <param name="Tests">The embedded tests' results when the file was valid but tests failed.</param>
public sealed record PolicyRejection(IReadOnlyList<PolicyFileProblem> Problems, IReadOnlyList<PolicyTestOutcome> Tests)
{
    /// <summary>Reads the reasons out of a refused push; null when the error is not a policy refusal.</summary>
    /// <param name="exception">The error <see cref="PoliciesClient.PushAsync"/> threw.</param>
    /// <returns>The problems and test results, or null.</returns>
    public static PolicyRejection? From(ReinApiException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.StatusCode != HttpStatusCode.UnprocessableEntity)
        {
            return null;
        }

        var problems = Read(exception, "problems", ReinJsonContext.Default.IReadOnlyListPolicyFileProblem);
        var tests = Read(exception, "tests", ReinJsonContext.Default.IReadOnlyListPolicyTestOutcome);
        return problems.Count == 0 && tests.Count == 0 ? null : new PolicyRejection(problems, tests);
    }

    private static IReadOnlyList<T> Read<T>(ReinApiException exception, string member, System.Text.Json.Serialization.Metadata.JsonTypeInfo<IReadOnlyList<T>> type)
    {
        if (!exception.Extensions.TryGetValue(member, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        try
        {
            return value.Deserialize(type) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}

/// <summary>The modes a policy can have.</summary>
public static class PolicyModes
{
    /// <summary>The decision is the answer.</summary>
    public const string Enforce = "enforce";

    /// <summary>The answer is allow; what would have been blocked is recorded.</summary>
    public const string Warn = "warn";

    /// <summary>Evaluated beside the enforced policy and recorded only (shadow mode).</summary>
    public const string Audit = "audit";

    /// <summary>Every mode.</summary>
    public static IReadOnlyList<string> All { get; } = [Enforce, Warn, Audit];
}
