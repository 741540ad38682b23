using Dapper;
using Rein.Server.Storage;

namespace Rein.Server.Tests.Policies;

/// <summary>Policy files for the lifecycle tests: small, valid unless named otherwise, and distinct per <c>revision</c>.</summary>
internal static class PolicySources
{
    /// <summary>A valid policy whose one test passes; each revision is a different file, hence a different version.</summary>
    public static string Valid(string name = "refunds", int revision = 1, string mode = "enforce") => $$"""
        # revision {{revision}}
        name: {{name}}
        agents: ["support-*"]
        mode: {{mode}}
        default: deny
        rules:
          - name: lookups
            tools: ["crm.get_*"]
            effect: allow
        tests:
          - name: lookups are allowed
            input: { agent: support-1, tool: crm.get_customer }
            expect: { effect: allow }
        """;

    /// <summary>An unknown key, <c>efect</c>, at line 8 column 5.</summary>
    public const string UnknownKey = """
        name: refunds
        agents: ["support-*"]
        default: deny
        rules:
          - name: lookups
            tools: ["crm.get_*"]
            effect: allow
            efect: allow
        """;

    public const int UnknownKeyLine = 8;

    public const int UnknownKeyColumn = 5;

    /// <summary>Parses and checks, but its one test expects deny where the rule allows.</summary>
    public const string FailingTest = """
        name: refunds
        agents: ["support-*"]
        default: deny
        rules:
          - name: lookups
            tools: ["crm.get_*"]
            effect: allow
        tests:
          - name: lookups are denied
            input: { agent: support-1, tool: crm.get_customer }
            expect: { effect: deny }
        """;

    /// <summary>Stores versions 1..<paramref name="count"/> of a policy straight into the tables, as many pushes
    /// would have (with the same source, which only pushes keep unique): for bounds that take hundreds of versions.</summary>
    public static Task SeedVersionsAsync(ReinDatabase database, string projectId, string name, int count, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync(
                "INSERT INTO policies (project_id, name, latest_version, active_version, created_at, updated_at) VALUES (@projectId, @name, @count, NULL, 0, 0)",
                new { projectId, name, count }, t);
            for (var v = 1; v <= count; v++)
            {
                await c.ExecuteAsync(
                    """
                    INSERT INTO policy_versions (project_id, name, version, hash, source, mode, agents, rules, tests_passed, created_at, created_by)
                    VALUES (@projectId, @name, @v, @hash, @source, 'enforce', '[]', 1, 1, 0, 'seed')
                    """,
                    new { projectId, name, v, hash = $"sha256:seed{v}", source = Valid(name, v) }, t);
            }
        }, cancellationToken);
}
