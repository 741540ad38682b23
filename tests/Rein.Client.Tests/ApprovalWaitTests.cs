using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Rein.Client.Tests;

/// <summary>
/// <see cref="ApprovalsClient.WaitAsync"/> and <see cref="GateOptions.WaitForApproval"/> against
/// <see cref="ApprovalContractStub"/>: how the client polls and what a gated function does with each outcome. The whole
/// loop against a real server is in <see cref="ApprovalsClientTests"/>.
/// </summary>
public sealed class ApprovalWaitTests
{
    private const string Token = "rat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GateOptions Options(TimeSpan? wait) => new() { Agent = "support-bot", RunId = "run-1", WaitForApproval = wait };

    [Fact]
    public async Task WaitAsync_DecidedDuringTheLongPoll_AnswersAtOnceWithOneRequest()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var started = Stopwatch.StartNew();

        var waiting = client.Approvals.WaitAsync(ApprovalContractStub.RequestId, TimeSpan.FromMinutes(5), Ct);
        await Task.Delay(200, Ct);
        stub.Decide("approved", "approved", Token);
        var approval = await waiting;

        Assert.Equal(ApprovalStatuses.Approved, approval.Status);
        Assert.Equal(Token, approval.Token);
        Assert.Equal([$"/api/v1/approvals/{ApprovalContractStub.RequestId}?wait=20s"], stub.Reads);
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitAsync_ShorterThanOnePoll_AsksForThatAndAnswersPendingAtTheEnd()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var started = Stopwatch.StartNew();

        var approval = await client.Approvals.WaitAsync(ApprovalContractStub.RequestId, TimeSpan.FromMilliseconds(1500), Ct);

        Assert.True(approval.IsPending);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(1400), TimeSpan.FromSeconds(10));
        var first = Assert.Single(stub.Reads, r => r.Contains("wait=1", StringComparison.Ordinal));
        Assert.Matches(@"\?wait=1[0-9]{3}ms$", first);
    }

    [Fact]
    public async Task WaitAsync_Zero_LooksOnceWithoutWaiting()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();

        var approval = await client.Approvals.WaitAsync(ApprovalContractStub.RequestId, TimeSpan.Zero, Ct);

        Assert.True(approval.IsPending);
        Assert.Equal([$"/api/v1/approvals/{ApprovalContractStub.RequestId}"], stub.Reads);
    }

    [Fact]
    public async Task WaitAsync_ServerWithAShorterMaxWait_FallsBackToShortPollsAndStillSeesTheDecision()
    {
        var stub = new ApprovalContractStub { MaxWait = TimeSpan.FromSeconds(5) };
        using var client = stub.Client();

        var waiting = client.Approvals.WaitAsync(ApprovalContractStub.RequestId, TimeSpan.FromMinutes(1), Ct);
        await Task.Delay(1500, Ct);
        stub.Decide("rejected", "rejected", note: "no");
        var approval = await waiting;

        Assert.Equal(ApprovalStatuses.Rejected, approval.Status);
        Assert.EndsWith("?wait=20s", stub.Reads[0], StringComparison.Ordinal);
        Assert.All(stub.Reads.Skip(1), r => Assert.EndsWith("?wait=1s", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WaitAsync_ServerThatAnswersAtOnceWhilePending_IsAskedAtMostOnceASecond()
    {
        var stub = new ApprovalContractStub { AnswerAtOnce = true };
        using var client = stub.Client();

        var approval = await client.Approvals.WaitAsync(ApprovalContractStub.RequestId, TimeSpan.FromMilliseconds(2500), Ct);

        Assert.True(approval.IsPending);
        Assert.InRange(stub.Reads.Count, 2, 4);
    }

    [Fact]
    public async Task WaitAsync_NegativeWait_IsRefusedBeforeAnyRequest()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.Approvals.WaitAsync(ApprovalContractStub.RequestId, TimeSpan.FromSeconds(-1), Ct));
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task InvokeAsync_Approved_RepeatsTheCallWithTheTokenAndRunsWithTheProposedArguments()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var refunds = new List<int>();
        var refund = AIFunctionFactory.Create((int amount) => { refunds.Add(amount); return $"refunded {amount}"; }, "refund")
            .WithGate(client, Options(TimeSpan.FromMinutes(5)));

        var invocation = refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);
        await Task.Delay(200, Ct);
        Assert.Empty(refunds);
        stub.Decide("approved", "approved", Token, new JsonObject { ["amount"] = 500 });
        var result = await invocation;

        Assert.Equal("refunded 500", ((JsonElement)result!).GetString());
        Assert.Equal([500], refunds);
        var calls = stub.GateCalls;
        Assert.Equal(2, calls.Count);
        Assert.Null(calls[0]["approvalToken"]);
        Assert.Equal(Token, (string?)calls[1]["approvalToken"]);
        Assert.Equal("""{"amount":500}""", calls[1]["args"]!.ToJsonString());
        Assert.Equal("run-1", (string?)calls[1]["runId"]);
    }

    [Fact]
    public async Task InvokeAsync_ApprovedWithModifiedArguments_RunsWithTheApproversArgumentsOnce()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var refunds = new List<(int Amount, string Currency)>();
        var refund = AIFunctionFactory.Create((int amount, string currency) => { refunds.Add((amount, currency)); return "ok"; }, "refund")
            .WithGate(client, Options(TimeSpan.FromMinutes(5)));
        stub.Decide("approved", "modified", Token, new JsonObject { ["amount"] = 200, ["currency"] = "EUR" }, "lowered to 200");

        await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500, ["currency"] = "EUR" }, Ct);

        Assert.Equal([(200, "EUR")], refunds);
        Assert.Equal("""{"amount":200,"currency":"EUR"}""", stub.GateCalls[1]["args"]!.ToJsonString());
    }

    [Fact]
    public async Task InvokeAsync_Rejected_DoesNotRunAndTellsTheModelWhoRejectedAndWhy()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options(TimeSpan.FromMinutes(5)));
        stub.Decide("rejected", "rejected", note: "not this customer");

        var result = await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.False(ran);
        Assert.Equal($"Rejected: the tool 'refund' was not run; ann rejected approval request {ApprovalContractStub.RequestId}. Their note: not this customer", result);
        Assert.Single(stub.GateCalls);
    }

    [Fact]
    public async Task InvokeAsync_Expired_DoesNotRunAndSaysItCountsAsDenied()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options(TimeSpan.FromMinutes(5)));
        stub.Decide("expired", "expired");

        var result = await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.False(ran);
        Assert.Equal($"Expired: the tool 'refund' was not run; nobody decided on approval request {ApprovalContractStub.RequestId} before it expired at 2026-11-22 12:15:00Z, so it counts as denied.", result);
    }

    [Fact]
    public async Task InvokeAsync_StillPendingWhenTheWaitEnds_DoesNotRunAndSaysSo()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options(TimeSpan.FromSeconds(1)));

        var result = await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.False(ran);
        Assert.Equal($"Not run: the call to 'refund' is still waiting for approval (request {ApprovalContractStub.RequestId}, queue finance) after waiting 1s; it has not been done.", result);
        Assert.Single(stub.GateCalls);
    }

    [Fact]
    public async Task InvokeAsync_RepeatedCallDenied_DoesNotRunAndSaysWhy()
    {
        var stub = new ApprovalContractStub { RepeatEffect = "deny" };
        using var client = stub.Client();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options(TimeSpan.FromMinutes(5)));
        stub.Decide("approved", "approved", Token);

        var result = await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.False(ran);
        Assert.Equal("Denied: the tool 'refund' was not run. Reason: the token was already used (rule approval.invalid_token).", result);
    }

    [Fact]
    public async Task InvokeAsync_ApprovedButNoTokenForThisKey_DoesNotRepeatOrRun()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options(TimeSpan.FromMinutes(5)));
        stub.Decide("approved", "approved", token: null);

        var result = await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.False(ran);
        Assert.StartsWith("Not run: the call to 'refund' was approved", Assert.IsType<string>(result), StringComparison.Ordinal);
        Assert.Single(stub.GateCalls);
    }

    [Fact]
    public async Task InvokeAsync_ServerGoneWhileWaiting_FailsClosedWithGateUnavailable()
    {
        var stub = new ApprovalContractStub { FailReadsWith = new HttpRequestException("connection refused") };
        using var client = stub.Client();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund").WithGate(client, Options(TimeSpan.FromMinutes(5)));

        var e = await Assert.ThrowsAsync<ReinGateUnavailableException>(async () => await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct));

        Assert.False(ran);
        Assert.Equal("refund", e.Tool);
        Assert.IsType<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task InvokeAsync_RunIdProviderMovesOn_TheRepeatKeepsTheRunThatAsked()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var runs = new Queue<string>(["run-a", "run-b"]);
        var refund = AIFunctionFactory.Create((int amount) => "ok", "refund")
            .WithGate(client, Options(TimeSpan.FromMinutes(5)) with { RunIdProvider = runs.Dequeue });
        stub.Decide("approved", "approved", Token);

        await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.Equal(["run-a", "run-a"], stub.GateCalls.Select(c => (string?)c["runId"]));
    }

    [Fact]
    public async Task InvokeAsync_WithoutWaitForApproval_ReturnsTheBlockedResultWithTheRequest()
    {
        var stub = new ApprovalContractStub();
        using var client = stub.Client();
        var refund = AIFunctionFactory.Create((int amount) => "ok", "refund").WithGate(client, Options(null));

        var result = await refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        var blocked = Assert.IsType<GateBlockedResult>(result);
        Assert.Equal(ApprovalContractStub.RequestId, blocked.ApprovalRequestId);
        Assert.Empty(stub.Reads);
    }

    [Fact]
    public void WithGate_NegativeWaitForApproval_IsRefused()
    {
        using var client = new ApprovalContractStub().Client();

        Assert.Throws<ArgumentOutOfRangeException>(() => AIFunctionFactory.Create(() => 1, "refund").WithGate(client, Options(TimeSpan.FromSeconds(-5))));
    }
}
