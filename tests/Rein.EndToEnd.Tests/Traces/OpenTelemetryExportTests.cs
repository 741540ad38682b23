using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rein.Testing;

namespace Rein.EndToEnd.Tests.Traces;

/// <summary>
/// The OpenTelemetry .NET SDK's own OTLP exporter (http/protobuf), configured as a user would, sends GenAI-shaped
/// spans to a real <c>rein serve</c>; the run is then read back through the API and the CLI.
/// </summary>
public sealed class OpenTelemetryExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TracerProvider Exporter(ActivitySource source, Uri server, string apiKey) =>
        Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("support-svc"))
            .AddSource(source.Name)
            .AddOtlpExporter(o =>
            {
                // Exactly what OTEL_EXPORTER_OTLP_ENDPOINT/HEADERS would set: one endpoint and one header.
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri(server, "/v1/traces");
                o.Headers = "Authorization=Bearer " + apiKey;
                o.ExportProcessorType = ExportProcessorType.Batch;
            })
            .Build()!;

    /// <summary>An agent run as the GenAI conventions describe it: invoke_agent over a chat call and a tool call.</summary>
    private static string RecordAgentRun(ActivitySource source, string userMessage, string conversation)
    {
        using var root = source.StartActivity("invoke_agent support", ActivityKind.Internal)!;
        root.SetTag("gen_ai.operation.name", "invoke_agent");
        root.SetTag("gen_ai.agent.name", "support");
        root.SetTag("gen_ai.agent.version", "2026.11.1");
        root.SetTag("gen_ai.conversation.id", conversation);
        using (var chat = source.StartActivity("chat gpt-4o", ActivityKind.Client)!)
        {
            chat.SetTag("gen_ai.operation.name", "chat");
            chat.SetTag("gen_ai.provider.name", "openai");
            chat.SetTag("gen_ai.request.model", "gpt-4o");
            chat.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            chat.SetTag("gen_ai.usage.input_tokens", 1200);
            chat.SetTag("gen_ai.usage.output_tokens", 300);
            chat.SetTag("gen_ai.input.messages", JsonSerializer.Serialize(new[] { new { role = "user", parts = new[] { new { type = "text", content = userMessage } } } }));
            chat.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"lookup_order","arguments":{"id":42}}],"finish_reason":"tool_call"}]""");
        }

        using (var tool = source.StartActivity("execute_tool lookup_order", ActivityKind.Internal)!)
        {
            tool.SetTag("gen_ai.operation.name", "execute_tool");
            tool.SetTag("gen_ai.tool.name", "lookup_order");
            tool.SetTag("gen_ai.tool.call.arguments", """{"id":42}""");
            tool.SetTag("gen_ai.tool.call.result", """{"status":"shipped"}""");
        }

        return root.TraceId.ToHexString();
    }

    [Fact]
    public async Task OtlpExporter_GenAiRun_IsFoundThroughApiAndCliWithAgentTokensAndCost()
    {
        await using var server = await ReinServerProcess.StartAsync();
        var (_, agentKey) = await server.CreateKeyAsync("support", "agent"); // the key of the agent the spans name
        using var source = new ActivitySource("rein-e2e-" + Guid.NewGuid().ToString("N"));
        string trace;
        using (var provider = Exporter(source, server.Url, agentKey))
        {
            trace = RecordAgentRun(source, "where is my order 42?", "conv-e2e");
            Assert.True(provider.ForceFlush(30_000), "the exporter did not flush");
        }

        using var http = server.CreateClient();
        using var response = await http.GetAsync($"/api/v1/runs/{trace}", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var run = json.RootElement.GetProperty("run");
        Assert.Equal("support", run.GetProperty("agent").GetString());
        Assert.Equal("2026.11.1", run.GetProperty("release").GetString());
        Assert.Equal("conv-e2e", run.GetProperty("session").GetString());
        Assert.Equal("success", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("steps").GetInt32());
        Assert.Equal(1, run.GetProperty("toolCalls").GetInt32());
        Assert.Equal(1200, run.GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(300, run.GetProperty("tokens").GetProperty("output").GetInt64());
        // gpt-4o: $2.50 per million input tokens and $10 per million output: 0.003 + 0.003.
        Assert.Equal(0.006m, run.GetProperty("cost").GetDecimal());
        Assert.Equal(3, json.RootElement.GetProperty("spans").GetArrayLength());

        var list = await ReinBinary.RunAsync(["runs", "list", "--agent", "support", "--server", server.Url.ToString(), "--api-key", server.AdminKey, "--output", "json"]);
        Assert.True(list.ExitCode == 0, list.StdErr);
        Assert.Contains(trace, list.StdOut, StringComparison.Ordinal);
        var show = await ReinBinary.RunAsync(["runs", "show", trace, "--server", server.Url.ToString(), "--api-key", server.AdminKey]);
        Assert.True(show.ExitCode == 0, show.StdErr);
        Assert.Contains("execute_tool lookup_order", show.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlantedSecrets_AreNowhereInTheDataFilesOrLogs()
    {
        // Fresh values each run, so finding none cannot be an accident of what some earlier run left behind.
        var nonce = Guid.NewGuid().ToString("N");
        string[] secrets =
        [
            "sk-proj-" + nonce + "Ab12Cd34Ef56Gh78",
            "AKIA" + nonce[..16].ToUpperInvariant(),
            "ghp_" + nonce + "abcd",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI" + nonce[..12] + "In0.c2lnbmF0dXJl" + nonce[..8],
        ];
        var visible = "visible-canary-" + nonce;
        var message = $"{visible}: my key is {secrets[0]}, aws {secrets[1]}, github {secrets[2]}, and token Bearer {secrets[3]}";

        string dataDir;
        string logs;
        await using (var server = await ReinServerProcess.StartAsync(environment: new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Debug" }))
        {
            var (_, agentKey) = await server.CreateKeyAsync("support", "agent"); // the key of the agent the spans name
            using var source = new ActivitySource("rein-e2e-" + nonce);
            string trace;
            using (var provider = Exporter(source, server.Url, agentKey))
            {
                trace = RecordAgentRun(source, message, "conv-" + nonce);
                Assert.True(provider.ForceFlush(30_000), "the exporter did not flush");
            }

            using var http = server.CreateClient();
            var run = await http.GetStringAsync($"/api/v1/runs/{trace}", Ct);
            Assert.Contains("[REDACTED:openai_key]", run, StringComparison.Ordinal);
            Assert.Contains(visible, run, StringComparison.Ordinal);

            server.Signal(ReinServerProcess.SIGTERM);
            Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            dataDir = server.DataDir;
            logs = server.StdOut + server.StdErr;

            var files = Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories);
            Assert.NotEmpty(files);
            var bytes = files.Select(File.ReadAllBytes).ToList();
            // The search works: the harmless text next to the secrets is on disk.
            Assert.Contains(bytes, b => Contains(b, visible));
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(bytes, b => Contains(b, secret));
                Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            }
        }
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0 || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) >= 0;
}
