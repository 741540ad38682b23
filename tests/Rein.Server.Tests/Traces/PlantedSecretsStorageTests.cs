using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Rein.Server.Tests.Approvals;
using Rein.Testing;

namespace Rein.Server.Tests.Traces;

/// <summary>
/// Issue 13 items 3 and 4: every planted secret of the corpus, sent through every place the server stores text a
/// person or agent gives it (span names, attributes, events and resources over OTLP; gate args, context and principal;
/// approval notes and modified arguments; audit details; kill-switch reasons), is found nowhere in the database
/// files, byte for byte, raw or in the encoding it was sent; and every look-alike is stored as sent.
/// </summary>
public sealed class PlantedSecretsStorageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PlantedSecrets_SentEverywhere_AreInNoByteOfTheDatabase()
    {
        await using var h = await ApprovalHarness.StartAsync(database: null);
        var texts = PlantedSecrets.Cases.Select(c => (c.Name, c.Text)).Concat(PlantedSecrets.LookAlikes.Select(l => (l.Name, l.Text))).ToList();
        var decisions = new Dictionary<string, string>();
        foreach (var (name, text) in texts)
        {
            await SendSpanAsync(h, name, text);
            decisions[name] = await GateAsync(h, name, text);
            await ApproveWithNoteAsync(h, name, text);
            await KillAsync(h, name, text);
        }

        foreach (var planted in PlantedSecrets.Cases)
        {
            // Modified arguments are stored for the agent to read: a secret in them is refused, naming where it is.
            var id = await h.OpenAsync("run-mod-" + planted.Name);
            using var refused = await h.DecideAsync(id, "approve", new { args = new { amount = 80, currency = "EUR", card = "[none]", memo = planted.Text } });
            var why = await refused.Content.ReadAsStringAsync(Ct);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{planted.Name}: approve answered {(int)refused.StatusCode}: {why}");
            Assert.Contains("args.memo holds a secret", why, StringComparison.Ordinal);
        }

        foreach (var lookAlike in PlantedSecrets.LookAlikes)
        {
            var decision = await ReadAsync(h, $"/api/v1/decisions/{decisions[lookAlike.Name]}");
            Assert.Equal(lookAlike.Text, decision.GetProperty("input").GetProperty("args").GetProperty("text").GetString());
        }

        var files = new[] { "rein.db", "rein.db-wal", "rein.db-shm" }.Select(f => Path.Combine(h.Host.DataDir, f)).ToArray();
        AssertNoNeedle(files, "before a checkpoint");
        await using (var connection = new SqliteConnection($"Data Source={files[0]};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await checkpoint.ExecuteNonQueryAsync(Ct);
        }

        AssertNoNeedle(files, "after a checkpoint");
    }

    private static void AssertNoNeedle(IEnumerable<string> files, string when)
    {
        var contents = files.Where(File.Exists).Select(f => (Name: Path.GetFileName(f), Bytes: File.ReadAllBytes(f))).ToList();
        Assert.NotEmpty(contents);
        foreach (var planted in PlantedSecrets.Cases)
        {
            foreach (var needle in Encodings(planted.Needles))
            {
                foreach (var (name, bytes) in contents)
                {
                    Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{planted.Name}: '{Encoding.UTF8.GetString(needle)}' found in {name} {when}");
                }
            }
        }
    }

    // UTF-8 as sent, and JSON's \uXXXX escapes of anything beyond ASCII (as System.Text.Json writes stored JSON).
    private static IEnumerable<byte[]> Encodings(IEnumerable<string> needles)
    {
        foreach (var needle in needles)
        {
            yield return Encoding.UTF8.GetBytes(needle);
            if (needle.Any(c => c > 127))
            {
                var escaped = string.Concat(needle.Select(c => c > 127 ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}") : c.ToString()));
                yield return Encoding.UTF8.GetBytes(escaped);
                yield return Encoding.UTF8.GetBytes(escaped.ToLowerInvariant().Replace("\\u", "\\u", StringComparison.Ordinal));
            }
        }
    }

    private static async Task SendSpanAsync(ApprovalHarness h, string name, string text)
    {
        var trace = new OtlpTrace("planted-" + name);
        var root = trace.Root("planted-bot");
        trace.Span("step " + text, root, message: text, attributes: [("planted.text", text), ("db.password", text), ("planted.list", new[] { text })]);
        var body = JsonNode.Parse(trace.ToJson())!;
        var span = body["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![1]!.AsObject();
        span["events"] = new JsonArray(new JsonObject
        {
            ["name"] = "event " + text,
            ["timeUnixNano"] = span["startTimeUnixNano"]!.DeepClone(),
            ["attributes"] = new JsonArray(new JsonObject { ["key"] = "planted.event", ["value"] = new JsonObject { ["stringValue"] = text } }),
        });
        body["resourceSpans"]![0]!["resource"]!["attributes"]!.AsArray().Add(new JsonObject { ["key"] = "planted.resource", ["value"] = new JsonObject { ["stringValue"] = text } });
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await h.Agent.PostAsync(new Uri("/v1/traces", UriKind.Relative), content, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: /v1/traces answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task<string> GateAsync(ApprovalHarness h, string name, string text)
    {
        var decision = await h.AskAsync(new
        {
            agent = "refund-bot",
            tool = "kb.search",
            runId = "run-gate-" + name,
            principal = new { id = "user-1", roles = new[] { "customer" }, attributes = new { note = text } },
            args = new { text, nested = new { value = text } },
            context = new { reason = text },
        });
        return decision.GetProperty("decisionId").GetString()!;
    }

    private static async Task ApproveWithNoteAsync(ApprovalHarness h, string name, string text)
    {
        var id = await h.OpenAsync("run-note-" + name);
        await h.ApproveAsync(id, note: "checked: " + text);
    }

    private static async Task KillAsync(ApprovalHarness h, string name, string text)
    {
        using var response = await h.Admin.PostAsJsonAsync("/api/v1/kill-switches", new { scope = "tool", target = "planted." + name, reason = text }, Ct);
        Assert.True(response.IsSuccessStatusCode, $"kill answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task<JsonElement> ReadAsync(ApprovalHarness h, string path)
    {
        using var response = await h.Admin.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
