using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Rein.Testing;

namespace Rein.Client.Tests;

/// <summary>What a gated function sends, and how it fails closed when no decision comes: no server needed.</summary>
public sealed class GatedFunctionRequestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly GateOptions Options = new() { Agent = "support-bot" };

    private sealed record Address(string City, string[] Lines);

    [Fact]
    public void CreateRequest_ArgumentsOfManyTypes_BecomeOneJsonObject()
    {
        var function = AIFunctionFactory.Create((int amount) => amount, "refund");
        using var client = new ReinClient(new Uri("http://127.0.0.1:9"), "rein_key");
        using var document = JsonDocument.Parse("""{"nested":[1,2]}""");
        var arguments = new AIFunctionArguments
        {
            ["amount"] = 500,
            ["currency"] = "EUR",
            ["rate"] = 1.5,
            ["urgent"] = true,
            ["note"] = null,
            ["address"] = new Address("Ghent", ["Veldstraat 1"]),
            ["raw"] = document.RootElement,
            ["node"] = new JsonObject { ["x"] = 1 },
        };

        var request = function.WithGate(client, Options).CreateRequest(arguments);

        Assert.Equal(
            """{"amount":500,"currency":"EUR","rate":1.5,"urgent":true,"note":null,"address":{"city":"Ghent","lines":["Veldstraat 1"]},"raw":{"nested":[1,2]},"node":{"x":1}}""",
            request.Args!.ToJsonString());
        Assert.Equal("refund", request.Tool);
        Assert.Equal("support-bot", request.Agent);
    }

    [Fact]
    public void CreateRequest_InsideAnActivity_UsesItsTraceAsTheRunAndItsTraceparent()
    {
        using var client = new ReinClient(new Uri("http://127.0.0.1:9"), "rein_key");
        var gated = AIFunctionFactory.Create(() => 1, "lookup").WithGate(client, Options);
        using var activity = new Activity("agent turn").SetIdFormat(ActivityIdFormat.W3C).Start();

        var request = gated.CreateRequest(new AIFunctionArguments());

        Assert.Equal(activity.TraceId.ToHexString(), request.RunId);
        Assert.Equal(activity.Id, request.Traceparent);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", request.Traceparent);
    }

    [Fact]
    public void CreateRequest_RunIdOptionAndProvider_TheProviderWins()
    {
        using var client = new ReinClient(new Uri("http://127.0.0.1:9"), "rein_key");
        var fixedRun = AIFunctionFactory.Create(() => 1, "lookup").WithGate(client, Options with { RunId = "run-fixed" });
        var provided = AIFunctionFactory.Create(() => 1, "lookup").WithGate(client, Options with { RunId = "run-fixed", RunIdProvider = () => "run-now" });
        using var activity = new Activity("agent turn").SetIdFormat(ActivityIdFormat.W3C).Start();

        Assert.Equal("run-fixed", fixedRun.CreateRequest(new AIFunctionArguments()).RunId);
        Assert.Equal("run-now", provided.CreateRequest(new AIFunctionArguments()).RunId);
    }

    [Fact]
    public void CreateRequest_OutsideAnyActivityWithoutRunId_SendsNoRun()
    {
        using var client = new ReinClient(new Uri("http://127.0.0.1:9"), "rein_key");
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var request = AIFunctionFactory.Create(() => 1, "lookup").WithGate(client, Options).CreateRequest(new AIFunctionArguments());

            Assert.Null(request.RunId);
            Assert.Null(request.Traceparent);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    [Fact]
    public void CreateRequest_WithContextProvider_SendsWhatItGives()
    {
        using var client = new ReinClient(new Uri("http://127.0.0.1:9"), "rein_key");
        var options = Options with { ContextProvider = arguments => new JsonObject { ["confidence"] = 0.4, ["arguments"] = arguments.Count } };

        var request = AIFunctionFactory.Create((int a) => a, "lookup").WithGate(client, options).CreateRequest(new AIFunctionArguments { ["a"] = 1 });

        Assert.Equal("""{"confidence":0.4,"arguments":1}""", request.Context!.ToJsonString());
    }

    [Fact]
    public void WithGate_KeepsTheFunctionsNameDescriptionAndSchema()
    {
        using var client = new ReinClient(new Uri("http://127.0.0.1:9"), "rein_key");
        var inner = AIFunctionFactory.Create((int amount) => amount, "refund", "Refunds an order");

        var gated = inner.WithGate(client, Options, toolName: "payments.refund");

        Assert.Equal("refund", gated.Name);
        Assert.Equal("Refunds an order", gated.Description);
        Assert.Equal(inner.JsonSchema.GetRawText(), gated.JsonSchema.GetRawText());
        Assert.Equal("payments.refund", gated.ToolName);
    }

    [Fact]
    public async Task InvokeAsync_ServerDown_ThrowsGateUnavailableWithoutRunning()
    {
        using var client = new ReinClient(new Uri($"http://127.0.0.1:{Network.FreePort()}"), "rein_key");
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options);

        var e = await Assert.ThrowsAsync<ReinGateUnavailableException>(async () => await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 5 }, Ct));

        Assert.False(ran);
        Assert.Equal("refund", e.Tool);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.StartsWith("The Rein gate could not decide on 'refund', so it was not run: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_AnswerWithAnEffectThisClientDoesNotKnow_FailsClosed()
    {
        using var client = CannedHandler.Client(new CannedHandler(HttpStatusCode.OK, """{"decisionId":"d-1","effect":"maybe","reasons":[]}""", "application/json"));
        var ran = false;
        var refund = AIFunctionFactory.Create(() => ran = true, "refund").WithGate(client, Options);

        var e = await Assert.ThrowsAsync<ReinGateUnavailableException>(async () => await refund.InvokeAsync(cancellationToken: Ct));

        Assert.False(ran);
        Assert.Equal(HttpRequestError.InvalidResponse, Assert.IsType<HttpRequestException>(e.InnerException).HttpRequestError);
    }

    [Fact]
    public async Task InvokeAsync_Cancelled_ThrowsCancellationNotGateUnavailable()
    {
        using var client = new ReinClient(new Uri($"http://127.0.0.1:{Network.FreePort()}"), "rein_key");
        var refund = AIFunctionFactory.Create(() => 1, "refund").WithGate(client, Options);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await refund.InvokeAsync(cancellationToken: cancelled.Token));
    }

    [Theory]
    [InlineData("allow", GateEffect.Allow)]
    [InlineData("confirm", GateEffect.Confirm)]
    [InlineData("require_approval", GateEffect.RequireApproval)]
    [InlineData("deny", GateEffect.Deny)]
    public async Task DecideAsync_WireEffectNames_ParseToTheEnum(string wire, GateEffect expected)
    {
        var handler = new CannedHandler(HttpStatusCode.OK, $$"""{"decisionId":"d-1","effect":"{{wire}}","reasons":[{"rule":"r","message":"m"}],"obligations":{"redact":[],"rateLimits":[]},"policy":null,"mode":null,"approval":null,"shadow":[]}""", "application/json");
        using var client = CannedHandler.Client(handler);

        var decision = await client.Gate.DecideAsync(new GateRequest { Agent = "a", Tool = "t", Args = new JsonObject { ["n"] = 1 } }, Ct);

        Assert.Equal(expected, decision.Effect);
        Assert.Equal(wire, decision.Effect.ToName());
        Assert.True(GateEffects.TryParse(wire, out var parsed));
        Assert.Equal(expected, parsed);
        Assert.Equal("""{"agent":"a","tool":"t","args":{"n":1}}""", handler.LastBody);
    }

    [Fact]
    public void TryParse_NameInAnotherCase_IsNotAnEffect()
    {
        Assert.False(GateEffects.TryParse("Deny", out _));
        Assert.False(GateEffects.TryParse("RequireApproval", out _));
        Assert.False(GateEffects.TryParse(null, out _));
    }
}
