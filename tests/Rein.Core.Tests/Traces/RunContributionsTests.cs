using Rein.Core.Traces;

namespace Rein.Core.Tests.Traces;

public sealed class RunContributionsTests
{
    private const string TraceA = "0af7651916cd43dd8448eb211c80319c";
    private const string TraceB = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static Span S(
        string spanId,
        string? parent = "ffffffffffffffff",
        StepKind kind = StepKind.Other,
        long start = 100,
        long end = 200,
        string trace = TraceA,
        SpanStatus status = SpanStatus.Unset,
        string? agent = null,
        string? service = null,
        string? release = null,
        string? session = null,
        string? user = null,
        string? outcome = null,
        string? tool = null,
        TokenUsage tokens = default,
        decimal? cost = null,
        bool costUnknown = false,
        int redactions = 0,
        string name = "span",
        bool fromRein = false,
        params SpanAttribute[] attributes) => new()
        {
            TraceId = trace,
            SpanId = spanId,
            ParentSpanId = parent,
            Name = name,
            Kind = kind,
            StartUnixNano = start,
            EndUnixNano = end,
            Status = status,
            StatusMessage = status == SpanStatus.Error ? "boom" : null,
            AgentName = agent,
            ServiceName = service,
            AgentVersion = release,
            SessionId = session,
            UserId = user,
            Outcome = outcome,
            ToolName = tool,
            Tokens = tokens,
            Cost = cost,
            CostUnknown = costUnknown,
            Redactions = redactions,
            FromRein = fromRein,
            Attributes = attributes,
        };

    /// <summary>The gate's span for a decision, as Rein writes it: a guardrail step, an error when it denies.</summary>
    private static Span Gate(string spanId, string effect, string? parent = "ffffffffffffffff", long start = 100, long end = 200) =>
        S(spanId, parent, StepKind.Guardrail, start, end, status: effect == "deny" ? SpanStatus.Error : SpanStatus.Unset, name: "rein.gate refund",
            fromRein: true, attributes: new SpanAttribute("rein.decision.effect", effect));

    [Fact]
    public void From_OneBatch_SumsCountsTokensAndCost()
    {
        var c = Assert.Single(RunContributions.From(
        [
            S("1", kind: StepKind.Llm, start: 50, end: 300, tokens: new TokenUsage(100, 20, 10, 5), cost: 0.5m, redactions: 2),
            S("2", kind: StepKind.Llm, start: 70, end: 400, tokens: new TokenUsage(10, 2, null, null), costUnknown: true),
            S("3", kind: StepKind.Tool, tool: "search", status: SpanStatus.Error),
            S("4", kind: StepKind.Tool, tool: "search"),
            S("5", kind: StepKind.Tool, tool: "fetch", cost: 0.25m),
            S("6", kind: StepKind.Retrieval, start: 10, end: 20),
        ]));

        Assert.Equal(TraceA, c.TraceId);
        Assert.Equal(10, c.StartUnixNano);
        Assert.Equal(400, c.EndUnixNano);
        Assert.Equal(6, c.Spans);
        Assert.Equal(5, c.Steps);
        Assert.Equal(3, c.ToolCalls);
        Assert.Equal(1, c.Errors);
        Assert.Equal(110, c.InputTokens);
        Assert.Equal(22, c.OutputTokens);
        Assert.Equal(10, c.CachedInputTokens);
        Assert.Equal(5, c.ReasoningTokens);
        Assert.Equal(0.75m, c.KnownCost);
        Assert.Equal(1, c.UnpricedSpans);
        Assert.Equal(2, c.Redactions);
        Assert.Equal(["fetch", "search"], c.ToolNames.Order(StringComparer.Ordinal));
        Assert.Null(c.Root);
    }

    [Fact]
    public void From_TwoTraces_GivesOneContributionEachInFirstSeenOrder()
    {
        var result = RunContributions.From([S("1", trace: TraceB), S("2", trace: TraceA), S("3", trace: TraceB)]);

        Assert.Equal([TraceB, TraceA], result.Select(c => c.TraceId));
        Assert.Equal([2, 1], result.Select(c => c.Spans));
    }

    [Fact]
    public void From_RootSpan_IsSummarisedAndItsValuesRankThree()
    {
        var c = Assert.Single(RunContributions.From(
        [
            S("a", kind: StepKind.Agent, agent: "sub-agent", session: "s-agent"),
            S("r", parent: null, name: "run", status: SpanStatus.Error, agent: "main", session: "s-root", outcome: "escalated"),
            S("o", user: "u-1"),
        ]));

        Assert.Equal(new RootSpan("run", SpanStatus.Error, "boom"), c.Root);
        Assert.Equal(new RankedValue("main", 3), c.Agent);
        Assert.Equal(new RankedValue("s-root", 3), c.Session);
        Assert.Equal(new RankedValue("u-1", 1), c.User);
        Assert.Equal(new RankedValue("escalated", 3), c.Outcome);
        Assert.Null(c.Release);
    }

    [Fact]
    public void From_AgentSpan_OutranksOtherSpans_AndServiceNameIsTheLastResort()
    {
        var withAgent = Assert.Single(RunContributions.From([S("1", agent: "tool-caller", start: 1), S("2", kind: StepKind.Agent, agent: "planner", start: 5)]));
        var serviceOnly = Assert.Single(RunContributions.From([S("1", service: "checkout-svc")]));
        var both = Assert.Single(RunContributions.From([S("1", service: "checkout-svc", start: 1), S("2", agent: "named", start: 9)]));

        Assert.Equal(new RankedValue("planner", 2), withAgent.Agent);
        Assert.Equal(new RankedValue("checkout-svc", 0), serviceOnly.Agent);
        Assert.Equal(new RankedValue("named", 1), both.Agent);
    }

    [Fact]
    public void From_EqualRanks_EarliestStartWinsWhateverTheOrder()
    {
        Span[] spans = [S("1", release: "v2", start: 30), S("2", release: "v1", start: 10), S("3", release: "v3", start: 20)];

        var forward = Assert.Single(RunContributions.From(spans));
        var backward = Assert.Single(RunContributions.From([.. spans.Reverse()]));

        Assert.Equal(new RankedValue("v1", 1), forward.Release);
        Assert.Equal(forward.Release, backward.Release);
    }

    [Fact]
    public void From_SameStart_SpanIdSettlesTheTie()
    {
        Span[] spans = [S("bbbb", session: "second", start: 10), S("aaaa", session: "first", start: 10)];

        Assert.Equal("first", Assert.Single(RunContributions.From(spans)).Session!.Value.Value);
        Assert.Equal("first", Assert.Single(RunContributions.From([.. spans.Reverse()])).Session!.Value.Value);
    }

    [Fact]
    public void From_ReinSpanWithoutParent_IsNotTheRoot()
    {
        var c = Assert.Single(RunContributions.From([Gate("g", "deny", parent: null)]));

        Assert.Null(c.Root);
        Assert.NotEqual(3, c.Agent?.Rank);
    }

    [Fact]
    public void From_ReinSpanWithoutParentBesideTheRoot_TheAgentsRootNamesTheRunEvenWhenLater()
    {
        var c = Assert.Single(RunContributions.From([Gate("g", "deny", parent: null, start: 10), S("r", parent: null, name: "invoke_agent support", start: 50, status: SpanStatus.Ok)]));

        Assert.Equal(new RootSpan("invoke_agent support", SpanStatus.Ok, null), c.Root);
    }

    [Fact]
    public void From_GateDenial_IsOneViolationAndNoError()
    {
        var c = Assert.Single(RunContributions.From([Gate("1", "deny"), Gate("2", "allow"), Gate("3", "require_approval")]));

        Assert.Equal(1, c.Violations);
        Assert.Equal(0, c.Errors);
    }

    [Fact]
    public void From_GatewayToolCallTheGateDenied_IsNoError_OneThatFailedAfterTheGateAllowedItIs()
    {
        Span Call(string id, string effect) => S(id, kind: StepKind.Tool, tool: "refund", status: SpanStatus.Error, fromRein: true,
            attributes: [new("gen_ai.operation.name", "execute_tool"), new("rein.gateway.decision.effect", effect)]);

        var c = Assert.Single(RunContributions.From([Call("1", "deny"), Gate("2", "deny", parent: "1"), Call("3", "allow")]));

        Assert.Equal(1, c.Errors);
        Assert.Equal(1, c.Violations);
        Assert.Equal(2, c.ToolCalls);
    }

    [Fact]
    public void From_ApprovalRejectedBySomeone_IsNoError()
    {
        var c = Assert.Single(RunContributions.From([S("1", kind: StepKind.Approval, status: SpanStatus.Error, fromRein: true)]));

        Assert.Equal(0, c.Errors);
        Assert.Equal(0, c.Violations);
    }

    [Fact]
    public void From_AgentSpanWithErrorStatus_IsStillAnError()
    {
        var c = Assert.Single(RunContributions.From([S("1", kind: StepKind.Guardrail, status: SpanStatus.Error, attributes: new SpanAttribute("rein.decision.effect", "deny"))]));

        Assert.Equal(1, c.Errors);
        Assert.Equal(0, c.Violations);
    }

    [Fact]
    public void From_ReinSpansBesideTheAgents_DoNotMoveTheRunsTimes()
    {
        var c = Assert.Single(RunContributions.From([S("r", parent: null, start: 100, end: 102), Gate("g", "deny", start: 50, end: 1_200_000_000)]));

        Assert.True(c.TimedByAgent);
        Assert.Equal((100, 102), (c.StartUnixNano, c.EndUnixNano));
    }

    [Fact]
    public void From_OnlyReinSpans_StandInForTheRunsTimes()
    {
        var c = Assert.Single(RunContributions.From([Gate("1", "allow", start: 300, end: 400), Gate("2", "deny", start: 500, end: 900)]));

        Assert.False(c.TimedByAgent);
        Assert.Equal((300, 900), (c.StartUnixNano, c.EndUnixNano));
    }

    [Fact]
    public void From_Empty_IsEmpty()
    {
        Assert.Empty(RunContributions.From([]));
    }

    [Theory]
    [InlineData("escalated", false, SpanStatus.Unset, "escalated")]
    [InlineData("FAILURE", true, SpanStatus.Ok, "failure")]
    [InlineData("success", true, SpanStatus.Error, "success")]
    [InlineData(null, false, SpanStatus.Unset, "running")]
    [InlineData(null, false, SpanStatus.Error, "running")]
    [InlineData(null, true, SpanStatus.Error, "failure")]
    [InlineData(null, true, SpanStatus.Ok, "success")]
    [InlineData(null, true, SpanStatus.Unset, "success")]
    [InlineData("bogus", true, SpanStatus.Unset, "success")]
    public void Resolve_OutcomeRootAndStatus_GiveTheRunStatus(string? outcome, bool rootSeen, SpanStatus status, string expected)
    {
        Assert.Equal(expected, RunOutcome.Resolve(outcome, rootSeen, status));
    }
}
