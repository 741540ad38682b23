using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

public sealed class PolicyParserTests
{
    private const string Minimal = """
        name: support-bot
        agents: ["support-bot*"]
        default: deny
        rules: []
        """;

    internal static PolicyProblem[] Problems(string source, PolicyLimits? limits = null) =>
        [.. Assert.Throws<PolicyException>(() => PolicyParser.Parse(source, "p.yaml", limits)).Problems];

    private static PolicyProblem Problem(string source, PolicyLimits? limits = null) => Assert.Single(Problems(source, limits));

    [Fact]
    public void Parse_MinimalPolicy_HasDefaults()
    {
        var policy = PolicyParser.Parse(Minimal);

        Assert.Equal("support-bot", policy.Name);
        Assert.Equal(["support-bot*"], policy.Agents);
        Assert.Equal(PolicyMode.Enforce, policy.Mode);
        Assert.Equal(Effect.Deny, policy.Default);
        Assert.True(policy.Budgets.IsEmpty);
        Assert.Equal(Effect.Deny, policy.Budgets.OnExceed);
        Assert.Empty(policy.Rules);
        Assert.Empty(policy.Tests);
        Assert.Null(policy.Description);
        Assert.False(policy.NeedsRunCost);
    }

    [Fact]
    public void Parse_FullStructure_ReadsEveryKey()
    {
        var policy = PolicyParser.Parse("""
            name: refunds
            description: Refund rules
            agents: [support-bot, "billing-*"]
            mode: warn
            default: allow
            budgets:
              max_steps: 40
              max_calls_per_tool: { "payments.*": 3, "crm.get_customer": 10 }
              max_identical_calls: 3
              max_cost_usd: 2.5
              max_duration: 1h30m
              max_depth: 0
              on_exceed: require_approval
            rules:
              - name: lookups
                tools: ["crm.get_*", kb.search]
                effect: allow
              - name: refunds need finance
                tools: [payments.refund]
                effect: require_approval
                route: finance
                redact: [args.card.number, args.iban]
            """);

        Assert.Equal("Refund rules", policy.Description);
        Assert.Equal(PolicyMode.Warn, policy.Mode);
        Assert.Equal(Effect.Allow, policy.Default);
        var budgets = policy.Budgets;
        Assert.Equal(40, budgets.MaxSteps);
        Assert.Equal(new Dictionary<string, int> { ["payments.*"] = 3, ["crm.get_customer"] = 10 }, budgets.MaxCallsPerTool);
        Assert.Equal(3, budgets.MaxIdenticalCalls);
        Assert.Equal(2.5m, budgets.MaxCostUsd);
        Assert.Equal(TimeSpan.FromMinutes(90), budgets.MaxDuration);
        Assert.Equal(0, budgets.MaxDepth);
        Assert.Equal(Effect.RequireApproval, budgets.OnExceed);
        Assert.True(policy.NeedsRunCost);
        Assert.Equal(2, policy.Rules.Count);
        Assert.Equal(["crm.get_*", "kb.search"], policy.Rules[0].Tools);
        Assert.Equal(15, policy.Rules[0].Line);
        var refunds = policy.Rules[1];
        Assert.Equal(("refunds need finance", Effect.RequireApproval, "finance"), (refunds.Name, refunds.Effect, refunds.Route));
        Assert.Equal(["args.card.number", "args.iban"], refunds.Redact);
        Assert.Null(refunds.When);
        Assert.Null(refunds.Message);
        Assert.Null(refunds.RateLimit);
    }

    [Fact]
    public void Parse_Hash_IsSha256OfSourceWithUnixLineEndings()
    {
        var unix = PolicyParser.Parse(Minimal + "\n");
        var windows = PolicyParser.Parse((Minimal + "\n").Replace("\n", "\r\n", StringComparison.Ordinal));

        var expected = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Minimal + "\n")));
        Assert.Equal(expected, unix.Hash);
        Assert.Equal(expected, windows.Hash);
        Assert.Equal(Minimal + "\n", windows.Source);
        Assert.NotEqual(unix.Hash, PolicyParser.Parse(Minimal + "\n# changed\n").Hash);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("2h", 7200)]
    [InlineData("1h30m", 5400)]
    [InlineData("1h0m30s", 3630)]
    [InlineData("\"10m\"", 600)]
    public void Parse_MaxDuration_ReadsGoStyleDurations(string text, int seconds)
    {
        var policy = PolicyParser.Parse(Minimal + $"\nbudgets: {{ max_duration: {text} }}\n");

        Assert.Equal(TimeSpan.FromSeconds(seconds), policy.Budgets.MaxDuration);
    }

    [Theory]
    [InlineData("15")]
    [InlineData("15x")]
    [InlineData("30m1h")]
    [InlineData("1.5h")]
    [InlineData("0s")]
    [InlineData("m")]
    public void Parse_MaxDurationNotADuration_IsAProblem(string text)
    {
        var problem = Problem(Minimal + $"\nbudgets: {{ max_duration: {text} }}\n");

        Assert.Equal((5, 26), (problem.Line, problem.Column));
        Assert.Equal($"'max_duration' in budgets must be a positive duration such as 90s, 15m, 1h30m or 2h, not '{text}'", problem.Message);
    }

    [Fact]
    public void Parse_UnknownKeyInRule_NamesTheRuleAndTheKeysExpected()
    {
        var problems = Problems("""
            name: p
            agents: [a]
            default: deny
            rules:
              - name: lookups
                tools: [kb.search]
                efect: allow
            """);

        Assert.Equal(
        [
            new PolicyProblem("p.yaml", 5, 5, "missing key 'effect' in rule 'lookups'"),
            new PolicyProblem("p.yaml", 7, 5, "unknown key 'efect' in rule 'lookups'; expected one of name, tools, when, effect, message, route, severity, redact, rate_limit"),
        ],
            problems);
    }

    [Fact]
    public void Parse_ManyProblems_AreAllReportedInFileOrder()
    {
        var problems = Problems("""
            name: Support Bot
            agents: []
            mode: strict
            rules:
              - name: a
                tools: [x]
                effect: permit
              - name: a
                tools: ["bad glob"]
                effect: allow
            budgets: { max_steps: -1, max_cost_usd: free, on_exceed: maybe }
            surprise: 1
            """);

        Assert.Equal(
        [
            "1:1: missing key 'default' in the policy",
            "1:7: policy name 'Support Bot' must be 1 to 128 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
            "2:9: 'agents' must list at least one agent glob",
            "3:7: unknown mode 'strict'; expected one of enforce, warn, audit",
            "7:13: unknown effect 'permit' for 'effect' in rule 'a'; expected one of allow, confirm, require_approval, deny",
            "9:13: tool glob 'bad glob' must be 1 to 128 characters of letters, digits, . _ : / - and the wildcards * and ?",
            "11:23: 'max_steps' in budgets must be a whole number of at least 1, not '-1'",
            "11:41: 'max_cost_usd' in budgets must be a positive number of US dollars such as 2.5, not 'free'",
            "11:58: unknown effect 'maybe' for 'on_exceed' in budgets; expected one of allow, confirm, require_approval, deny",
            "12:1: unknown key 'surprise' in the policy; expected one of name, description, agents, mode, default, budgets, approval_expiry, rules, tests",
        ],
            problems.Select(p => $"{p.Line}:{p.Column}: {p.Message}"));
    }

    [Fact]
    public void Parse_DuplicateRuleNames_PointsAtTheSecondAndNamesTheFirstLine()
    {
        var problem = Problem(Minimal.Replace("rules: []", """
            rules:
              - { name: same, tools: [a], effect: allow }
              - { name: same, tools: [b], effect: deny }
            """, StringComparison.Ordinal));

        Assert.Equal((6, 5), (problem.Line, problem.Column));
        Assert.Equal("duplicate rule name 'same' (first at line 5)", problem.Message);
    }

    [Fact]
    public void Parse_DuplicateKey_IsAProblem()
    {
        var problem = Problem(Minimal + "\ndefault: allow\n");

        Assert.Equal((5, 1), (problem.Line, problem.Column));
        Assert.Equal("duplicate key 'default' in the policy", problem.Message);
    }

    [Theory]
    [InlineData("name: p\nagents: [a]\ndefault: deny\n", 1, 1, "missing key 'rules' in the policy")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules:\n", 4, 7, "'rules' must be a list of rules (use [] for none), not null")]
    [InlineData("name: p\nagents: a\ndefault: deny\nrules: []\n", 2, 9, "'agents' must be a list of agent globs, not 'a'")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules: [{name: r, effect: allow}]\n", 4, 9, "missing key 'tools' in rule 'r'")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules: [{tools: [t], effect: allow}]\n", 4, 9, "missing key 'name' in rule 1")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules: [{name: r, tools: [t]}]\n", 4, 9, "missing key 'effect' in rule 'r'")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules: [{name: r, tools: t, effect: deny}]\n", 4, 26, "'tools' in rule 'r' must be a list of tool globs, not 't'")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules: [{name: 'r!', tools: [t], effect: deny}]\n", 4, 16, "rule name 'r!' must be 1 to 128 characters of letters, digits, spaces and . _ : / -, without spaces at either end")]
    [InlineData("name: p\nagents: [a]\ndefault: deny\nrules: [{name: r, tools: [t], effect: deny, redact: [card]}]\n", 4, 54, "'card' in 'redact' in rule 'r' must be an argument path such as args.card.number (args, then keys of letters, digits, _ and -; at most 128 characters)")]
    [InlineData("- a\n- b\n", 1, 1, "the policy must be a mapping, not a list")]
    [InlineData("", 1, 1, "the policy file is empty")]
    [InlineData("name: p\n---\nname: q\n", 2, 1, "a policy file holds one YAML document")]
    [InlineData("name: &n p\n", 1, 7, "YAML anchors are not supported in policies")]
    [InlineData("name: !!int 5\n", 1, 7, "YAML tag 'tag:yaml.org,2002:int' is not supported in policies")]
    [InlineData("name: p\nagents: [a\n", 3, 1, "YAML: While parsing a flow sequence, did not find expected ',' or ']'")]
    [InlineData("name: p\n  agents: [a]\n", 2, 9, "YAML: While scanning a plain scalar value, found invalid mapping")]
    public void Parse_BadStructure_IsAProblemAtItsPosition(string source, int line, int column, string message)
    {
        var problem = Problems(source)[0];

        Assert.Equal((line, column, message), (problem.Line, problem.Column, problem.Message));
    }

    [Fact]
    public void Parse_RateLimitWithoutExpressionProblems_ChecksLimitAndPer()
    {
        var problems = Problems(Minimal.Replace("rules: []", """
            rules:
              - name: r
                tools: [t]
                effect: allow
                rate_limit: { limit: 0, per: soon }
            """, StringComparison.Ordinal));

        Assert.Equal(
        [
            "8:17: missing key 'key' in rate_limit of rule 'r'",
            "8:26: 'limit' in rate_limit of rule 'r' must be a whole number of at least 1, not '0'",
            "8:34: 'per' in rate_limit of rule 'r' must be a positive duration such as 90s, 15m, 1h30m or 2h, not 'soon'",
        ],
            problems.Select(p => $"{p.Line}:{p.Column}: {p.Message}"));
    }

    [Fact]
    public void Parse_MaxSourceBytes_IsCheckedBeforeParsing()
    {
        var limits = new PolicyLimits { MaxSourceBytes = 64 };
        var source = Minimal + "\n# é padding that is not YAML: [[[\n";

        var problem = Problem(source, limits);

        Assert.Equal((1, 1), (problem.Line, problem.Column));
        Assert.Equal("the policy file is larger than 64 bytes", problem.Message);
        Assert.Equal(256 * 1024, PolicyLimits.Default.MaxSourceBytes);
    }

    [Fact]
    public void Parse_MaxSourceBytes_CountsUtf8Bytes()
    {
        var source = Minimal + "\ndescription: " + new string('é', 40) + "\n";
        var bytes = System.Text.Encoding.UTF8.GetByteCount(source);

        Assert.NotNull(PolicyParser.Parse(source, limits: new PolicyLimits { MaxSourceBytes = bytes }));
        Problem(source, new PolicyLimits { MaxSourceBytes = bytes - 1 });
        Assert.True(source.Length < bytes - 1);
    }

    [Fact]
    public void Parse_MaxRules_IsAProblemNamingTheLimit()
    {
        var rules = string.Concat(Enumerable.Range(0, 4).Select(i => $"  - {{ name: r{i}, tools: [t], effect: allow }}\n"));
        var source = Minimal.Replace("rules: []", "rules:\n" + rules, StringComparison.Ordinal);

        Assert.Equal(4, PolicyParser.Parse(source, limits: new PolicyLimits { MaxRules = 4 }).Rules.Count);
        var problem = Problem(source, new PolicyLimits { MaxRules = 3 });
        Assert.Equal((5, 3), (problem.Line, problem.Column));
        Assert.Equal("the policy has 4 rules; the limit is 3", problem.Message);
    }

    [Fact]
    public void Parse_MaxTests_IsAProblemNamingTheLimit()
    {
        var tests = string.Concat(Enumerable.Range(0, 3).Select(i => $"  - {{ name: t{i}, input: {{ tool: x }}, expect: {{ effect: deny }} }}\n"));
        var source = Minimal + "\ntests:\n" + tests;

        Assert.Equal(3, PolicyParser.Parse(source, limits: new PolicyLimits { MaxTests = 3 }).Tests.Count);
        var problem = Problem(source, new PolicyLimits { MaxTests = 2 });
        Assert.Equal("the policy has 3 tests; the limit is 2", problem.Message);
    }

    [Fact]
    public void Parse_MaxGlobsPerList_AppliesToAgentsToolsRedactAndCallsPerTool()
    {
        var limits = new PolicyLimits { MaxGlobsPerList = 2 };
        var source = """
            name: p
            agents: [a, b, c]
            default: deny
            budgets: { max_calls_per_tool: { x: 1, y: 1, z: 1 } }
            rules:
              - { name: r, tools: [t, u, v], effect: allow, redact: [args.a, args.b, args.c] }
            """;

        var problems = Problems(source, limits);

        Assert.Equal(
        [
            "'agents' has 3 agent globs; the limit is 2",
            "'max_calls_per_tool' in budgets has 3 tool globs; the limit is 2",
            "'tools' in rule 'r' has 3 tool globs; the limit is 2",
            "'redact' in rule 'r' has 3 paths; the limit is 2",
        ],
            problems.Select(p => p.Message));
        Assert.NotNull(PolicyParser.Parse(source, limits: new PolicyLimits { MaxGlobsPerList = 3 }));
    }

    [Fact]
    public void Parse_MaxNameLength_AppliesToPolicyRuleAndGlobNames()
    {
        var limits = new PolicyLimits { MaxNameLength = 5 };

        Assert.NotNull(PolicyParser.Parse("name: abcde\nagents: [abcde]\ndefault: deny\nrules: [{name: abcde, tools: [abcde], effect: deny}]\n", limits: limits));
        var problems = Problems("name: abcdef\nagents: [abcdef]\ndefault: deny\nrules: [{name: abcdef, tools: [abcdef], effect: deny}]\n", limits);
        Assert.Equal(4, problems.Length);
        Assert.All(problems, p => Assert.Contains("must be 1 to 5 characters", p.Message, StringComparison.Ordinal));
        // The limit is the user's to read, not the name of a setting they cannot change.
        Assert.All(problems, p => Assert.DoesNotContain("MaxNameLength", p.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_PolicyNameRules_FollowTheUrlSafePattern()
    {
        Assert.Equal("a.b_c-9", PolicyParser.Parse(Minimal.Replace("support-bot\n", "a.b_c-9\n", StringComparison.Ordinal)).Name);
        Problem(Minimal.Replace("name: support-bot", "name: -bot", StringComparison.Ordinal));
        Problem(Minimal.Replace("name: support-bot", "name: Bot", StringComparison.Ordinal));
        Problem(Minimal.Replace("name: support-bot", "name: a/b", StringComparison.Ordinal));
        Problem(Minimal.Replace("name: support-bot", "name: " + new string('a', 129), StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_TestInputs_ConvertLikeJson()
    {
        var policy = PolicyParser.Parse(Minimal + """

            tests:
              - name: values
                input:
                  tool: payments.refund
                  args: { amount: 500, rate: 0.5, whole: 5.0, ok: true, none: null, id: "42", tags: [a, 1] }
                  principal: { id: u1, roles: [admin], attributes: { level: 3 } }
                  context: { confidence: 0.9 }
                  run: { calls: [crm.export, { tool: email.send, effect: deny }], cost_usd: 1.25, duration: 10m, depth: 2, untrusted: true }
                  now: 2026-03-01T12:00:00Z
                expect: { effect: deny, route: finance, rule: r, message: text }
            """);

        var test = Assert.Single(policy.Tests);
        Assert.Equal(("values", Effect.Deny, "finance", "r", "text"), (test.Name, test.ExpectEffect, test.ExpectRoute, test.ExpectRule, test.ExpectMessage));
        var input = test.Input;
        Assert.Equal(("test-agent", "payments.refund"), (input.Agent, input.Tool));
        var args = Assert.IsType<IReadOnlyDictionary<string, object?>>(input.Args, exactMatch: false);
        Assert.Equal(500L, args["amount"]);
        Assert.Equal(0.5, args["rate"]);
        Assert.Equal(5.0, args["whole"]);
        Assert.Equal(true, args["ok"]);
        Assert.Null(args["none"]);
        Assert.Equal("42", args["id"]);
        Assert.Equal(new object?[] { "a", 1L }, Assert.IsType<IReadOnlyList<object?>>(args["tags"], exactMatch: false));
        Assert.Equal("u1", input.PrincipalId);
        Assert.Equal(["admin"], input.PrincipalRoles);
        Assert.Equal(3L, Assert.IsType<IReadOnlyDictionary<string, object?>>(input.PrincipalAttributes, exactMatch: false)["level"]);
        Assert.Equal(0.9, Assert.IsType<IReadOnlyDictionary<string, object?>>(input.Context, exactMatch: false)["confidence"]);
        Assert.Equal([new RecordedCall("crm.export", Effect.Allow), new RecordedCall("email.send", Effect.Deny)], input.Run.Calls);
        Assert.Equal(2, input.Run.Steps);
        Assert.Equal(new Dictionary<string, int> { ["crm.export"] = 1, ["email.send"] = 1 }, input.Run.ToolCalls);
        Assert.Equal((1.25m, TimeSpan.FromMinutes(10), 2, true), (input.Run.CostUsd, input.Run.Duration, input.Run.Depth, input.Run.Untrusted));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero), input.Now);
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("\"true\"")]
    [InlineData("1")]
    public void Parse_TestRunUntrustedNotABoolean_ProblemNamingIt(string value)
    {
        var error = Assert.Throws<PolicyException>(() => PolicyParser.Parse(Minimal + $$"""

            tests:
              - name: t
                input: { tool: x, run: { untrusted: {{value}} } }
                expect: { effect: deny }
            """));
        Assert.Contains("'untrusted' in", error.Message, StringComparison.Ordinal);
        Assert.Contains("must be true or false", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[\"support-bot\"]", "support-bot")]
    [InlineData("[\"support-*\", exact]", "test-agent")]
    public void Parse_TestWithoutAgent_UsesTheFirstAgentWithoutWildcards(string agents, string expected)
    {
        var policy = PolicyParser.Parse($"name: p\nagents: {agents}\ndefault: deny\nrules: []\ntests: [{{ name: t, input: {{ tool: x }}, expect: {{ effect: deny }} }}]\n");

        var input = Assert.Single(policy.Tests).Input;
        Assert.Equal(expected, input.Agent);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), input.Now);
        Assert.Same(RunSnapshot.Empty, input.Run);
    }

    [Fact]
    public void Parse_BadTests_AreProblemsAtTheirPositions()
    {
        var problems = Problems(Minimal + """

            tests:
              - name: t
                input: { tol: x, now: yesterday }
                expect: { effect: alow }
              - name: t
                input: { tool: x, run: { steps: many } }
                expect: { route: r }
            """);

        Assert.Equal(
        [
            "7:12: missing key 'tool' in 'input' of test 't'",
            "7:14: unknown key 'tol' in 'input' of test 't'; expected one of agent, release, tool, server, args, principal, context, run, now",
            "7:27: 'now' in 'input' of test 't' must be a timestamp such as 2026-01-01T09:30:00Z, not 'yesterday'",
            "8:23: unknown effect 'alow' for 'effect' in 'expect' of test 't'; expected one of allow, confirm, require_approval, deny",
            "10:37: 'steps' in 'run' in 'input' of test 't' must be a whole number of at least 0, not 'many'",
            "11:13: missing key 'effect' in 'expect' of test 't'",
        ],
            problems.Select(p => $"{p.Line}:{p.Column}: {p.Message}"));
    }

    [Fact]
    public void Parse_RandomInput_NeverThrowsAnythingButPolicyException()
    {
        var random = new Random(4);
        var pieces = new[] { "name:", " p", "\n", "agents:", "[", "]", "{", "}", "- ", "rules:", "tools:", "effect:", " deny", "'", "\"", ":", ",", "  ", "&a", "*a", "!!", "|", ">", "#", "---", "\t", "é", "\\", "budgets:", "max_steps: ", "9999999999999" };
        for (var i = 0; i < 3000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => pieces[random.Next(pieces.Length)]));
            try
            {
                PolicyParser.Parse(text);
            }
            catch (PolicyException e)
            {
                Assert.NotEmpty(e.Problems);
                Assert.All(e.Problems, p => Assert.True(p.Line >= 1 && p.Column >= 1, p.ToString()));
            }
        }
    }

    [Fact]
    public void Parse_MaxProblems_ListsAHundredAndCountsTheRest()
    {
        var rules = string.Concat(Enumerable.Range(0, 150).Select(i => $"  - {{ name: r{i}, tools: [t], effect: nope }}\n"));

        var problems = Problems(Minimal.Replace("rules: []", "rules:\n" + rules, StringComparison.Ordinal));

        Assert.Equal(PolicyParser.MaxProblems + 1, problems.Length);
        Assert.Equal("50 more problems not shown (at most 100 are listed)", problems[^1].Message);
        Assert.Equal(105, problems[^1].Line);
    }

    [Fact]
    public void Parse_NestingDeeperThanMaxDepth_IsAProblemNotACrash()
    {
        var deep = "name: " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var nested = "name: p\nagents: [a]\ndefault: deny\nrules: []\ntests: [{ name: t, input: { tool: x, args: " +
            string.Concat(Enumerable.Repeat("{a: ", PolicyYaml.MaxDepth)) + "1" + new string('}', PolicyYaml.MaxDepth) + " }, expect: { effect: deny } }]\n";

        Assert.Equal($"nested deeper than {PolicyYaml.MaxDepth} levels", Problem(deep).Message);
        Assert.Equal($"nested deeper than {PolicyYaml.MaxDepth} levels", Problem(nested).Message);
    }

    [Fact]
    public void Parse_ByteOrderMark_IsNotPartOfThePolicy()
    {
        var policy = PolicyParser.Parse("\uFEFF" + Minimal);

        Assert.Equal("support-bot", policy.Name);
        Assert.Equal(Minimal, policy.Source);
        Assert.Equal(PolicyParser.Parse(Minimal).Hash, policy.Hash);
    }

    [Fact]
    public void Parse_UnquotedTextAsMessage_HintsThatAMessageIsAnExpression()
    {
        var problem = Problem(Minimal.Replace("rules: []", "rules: [{ name: r, tools: [t], effect: deny, message: no refunds today }]", StringComparison.Ordinal));

        Assert.EndsWith("(a message is an expression: write text as \"'refund needs finance'\")", problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("'message' in rule 'r': ", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyProblem_ToString_IsFileLineColumnMessage()
    {
        Assert.Equal("refunds.yaml:3:7: unknown mode 'x'", new PolicyProblem("refunds.yaml", 3, 7, "unknown mode 'x'").ToString());
    }
}
