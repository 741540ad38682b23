using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Gateway;
using Rein.Core.Identity;
using Rein.Server.Approvals.Webhooks;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Gateway;

/// <summary>What an admin sends to add or replace an upstream server. <see cref="Transport"/> may be left out: a
/// command makes it stdio, a URL http. In <see cref="Env"/> and <see cref="Headers"/> a value is kept secret (shown as
/// <c>***</c>); <c>${env:NAME}</c> is read from the Rein server's environment when it connects; <c>***</c> keeps the
/// value already stored under that name.</summary>
public sealed record GatewayServerSpec(
    string? Transport = null,
    string? Command = null,
    IReadOnlyList<string>? Args = null,
    IReadOnlyDictionary<string, string>? Env = null,
    string? Url = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    string? Timeout = null,
    bool? Enabled = null);

/// <summary>An upstream server as people see it: secret values masked, references as written.</summary>
public sealed record GatewayServer(
    string Name,
    string Transport,
    string? Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    string? Url,
    IReadOnlyDictionary<string, string> Headers,
    string Timeout,
    bool Enabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A server after a set: <see cref="Created"/> is false when one of that name was replaced.</summary>
public sealed record GatewayServerSet(GatewayServer Server, bool Created);

/// <summary>A server as the gateway connects to it: secrets in plain text, references resolved. Never stored or logged.</summary>
internal sealed record UpstreamSpec(
    string ProjectId,
    string Name,
    string Transport,
    string? Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    string? Url,
    IReadOnlyDictionary<string, string> Headers,
    TimeSpan Timeout,
    long Version,
    string? Problem);

/// <summary>
/// A project's upstream MCP servers, set and removed by admins and audited. Literal environment and header values are
/// credentials the tools need: they are protected with ASP.NET Data Protection under a purpose naming the project and
/// server, shown as <c>***</c>, never returned, logged, audited or given to agents.
/// </summary>
public sealed partial class GatewayServerService(
    ReinDatabase database,
    AuditLog audit,
    IDataProtectionProvider protection,
    GatewayCache cache,
    TimeProvider time,
    ILogger<GatewayServerService> logger)
{
    public const string Stdio = "stdio";

    public const string Http = "http";

    public const int MaxServers = 100;

    public const int MaxArgs = 64;

    public const int MaxEnv = 64;

    public const int MaxHeaders = 32;

    public const int MaxCommandLength = 1024;

    public const int MaxArgLength = 4096;

    public const int MaxValueLength = 8192;

    public const int MaxNameLength = 128;

    public const string Masked = "***";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);

    private const string ProtectedPrefix = "protected:";

    /// <exception cref="ReinProblemException">400 naming the field; 409 past <see cref="MaxServers"/>.</exception>
    public async Task<GatewayServerSet> SetAsync(Caller caller, string? name, GatewayServerSpec? spec, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var server = ValidateName(name);
        var valid = Validate(spec ?? throw ReinProblemException.Invalid("body", "is required: the server's command or url"));
        var set = await database.WriteAsync(async (c, t) =>
        {
            var existing = await GatewayStore.GetServerAsync(c, t, caller.ProjectId, server);
            if (existing is null && await GatewayStore.CountServersAsync(c, t, caller.ProjectId) >= MaxServers)
            {
                throw ReinProblemException.Conflict($"project {caller.ProjectId} already has {MaxServers} servers, the most it may have; remove one first");
            }

            var old = existing is null ? null : JsonSerializer.Deserialize<StoredConfig>(existing.Config, GatewayJson.Options);
            var protector = Protector(caller.ProjectId, server);
            var config = new StoredConfig(
                valid.Command,
                valid.Args,
                Secrets("env", valid.Env, old?.Env, protector),
                valid.Url,
                Secrets("headers", valid.Headers, old?.Headers, protector));
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var row = new ServerRow
            {
                ProjectId = caller.ProjectId,
                Name = server,
                Transport = valid.Transport,
                Config = JsonSerializer.Serialize(config, GatewayJson.Options),
                TimeoutMs = (long)valid.Timeout.TotalMilliseconds,
                Enabled = valid.Enabled ? 1 : 0,
                CreatedAt = existing?.CreatedAt ?? now,
                UpdatedAt = Math.Max(now, (existing?.UpdatedAt ?? 0) + 1),
            };
            await GatewayStore.UpsertServerAsync(c, t, row);
            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId,
                "gateway.server.set",
                "gateway_server",
                server,
                existing is null ? null : Digest(existing),
                Digest(row),
                JsonSerializer.Serialize(new { server, transport = row.Transport, enabled = valid.Enabled })));
            return new GatewayServerSet(ToServer(row), existing is null);
        }, cancellationToken);
        cache.Invalidate(caller.ProjectId);
        Log.GatewayServerSet(logger, server, set.Server.Transport, caller.ProjectId, caller.KeyId);
        return set;
    }

    public async Task<IReadOnlyList<GatewayServer>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        var rows = await database.ReadAsync(c => GatewayStore.ListServersAsync(c, caller.ProjectId), cancellationToken);
        return [.. rows.Select(ToServer)];
    }

    /// <exception cref="ReinProblemException">400 naming the server; 404 when there is none of that name.</exception>
    public async Task<GatewayServer> GetAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        var server = ValidateName(name);
        var row = await database.ReadAsync(c => GatewayStore.GetServerAsync(c, null, caller.ProjectId, server), cancellationToken);
        return row is null ? throw NoServer(caller, server) : ToServer(row);
    }

    /// <summary>Removes the server and returns it as it was; its tools and pins stay, so adding it back keeps them.</summary>
    /// <exception cref="ReinProblemException">400 naming the server; 404 when there is none of that name.</exception>
    public async Task<GatewayServer> RemoveAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var server = ValidateName(name);
        var removed = await database.WriteAsync(async (c, t) =>
        {
            var existing = await GatewayStore.GetServerAsync(c, t, caller.ProjectId, server);
            if (existing is null || !await GatewayStore.DeleteServerAsync(c, t, caller.ProjectId, server))
            {
                throw NoServer(caller, server);
            }

            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "gateway.server.remove", "gateway_server", server, Digest(existing), null, JsonSerializer.Serialize(new { server })));
            return ToServer(existing);
        }, cancellationToken);
        cache.Invalidate(caller.ProjectId);
        Log.GatewayServerRemoved(logger, server, caller.ProjectId, caller.KeyId);
        return removed;
    }

    /// <summary>The project's enabled servers as the gateway connects to them. A server's secrets are unprotected once
    /// per version of its row, not on every call.</summary>
    internal async Task<IReadOnlyList<UpstreamSpec>> UpstreamsAsync(string projectId, CancellationToken cancellationToken)
    {
        var rows = await database.ReadAsync(c => GatewayStore.ListServersAsync(c, projectId), cancellationToken);
        if (_resolved.Count > MaxResolved)
        {
            _resolved.Clear();
        }

        return [.. rows.Where(r => r.Enabled != 0).Select(row =>
            _resolved.TryGetValue((row.ProjectId, row.Name), out var known) && known.Version == row.UpdatedAt && known.Problem is null
                ? known
                : _resolved[(row.ProjectId, row.Name)] = Resolve(row))];
    }

    /// <summary>Resolved servers kept; past it the cache starts over.</summary>
    private const int MaxResolved = 10_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Project, string Name), UpstreamSpec> _resolved = new();

    /// <summary>A server's name: what tools are namespaced with, so letters, digits, <c>-</c> and <c>_</c> only.</summary>
    public static string ValidateName(string? name) =>
        ToolNames.ServerProblem(name) is { } problem ? throw ReinProblemException.Invalid("name", problem) : name!;

    private UpstreamSpec Resolve(ServerRow row)
    {
        var config = JsonSerializer.Deserialize<StoredConfig>(row.Config, GatewayJson.Options)!;
        var protector = Protector(row.ProjectId, row.Name);
        var problems = new List<string>();
        var env = Plain("environment variable", config.Env, protector, problems);
        var headers = Plain("header", config.Headers, protector, problems);
        return new UpstreamSpec(
            row.ProjectId, row.Name, row.Transport, config.Command, config.Args ?? [], env, config.Url, headers,
            TimeSpan.FromMilliseconds(row.TimeoutMs), row.UpdatedAt, problems.Count == 0 ? null : string.Join("; ", problems));
    }

    private static Dictionary<string, string> Plain(string what, IReadOnlyDictionary<string, string>? values, IDataProtector protector, List<string> problems)
    {
        var plain = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in values ?? new Dictionary<string, string>())
        {
            if (value.StartsWith(ProtectedPrefix, StringComparison.Ordinal))
            {
                try
                {
                    plain[key] = protector.Unprotect(value[ProtectedPrefix.Length..]);
                }
                catch (CryptographicException)
                {
                    problems.Add($"the stored value of {what} {key} cannot be read (the data-protection keys it was protected with are gone); set it again");
                }
            }
            else if (EnvReference().Match(value) is { Success: true } reference)
            {
                var variable = reference.Groups[1].Value;
                if (Environment.GetEnvironmentVariable(variable) is { } found)
                {
                    plain[key] = found;
                }
                else
                {
                    problems.Add($"{what} {key} reads ${{env:{variable}}}, which is not set in the Rein server's environment");
                }
            }
        }

        return plain;
    }

    private static Dictionary<string, string> Secrets(
        string field, IReadOnlyDictionary<string, string> given, IReadOnlyDictionary<string, string>? old, IDataProtector protector)
    {
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in given)
        {
            if (value == Masked)
            {
                stored[key] = old is not null && old.TryGetValue(key, out var kept)
                    ? kept
                    : throw ReinProblemException.Invalid($"{field}.{key}", $"is {Masked}, which keeps the stored value, but the server has no value for {key}; give the value");
            }
            else
            {
                stored[key] = EnvReference().IsMatch(value) ? value : ProtectedPrefix + protector.Protect(value);
            }
        }

        return stored;
    }

    private sealed record Valid(string Transport, string? Command, List<string> Args, Dictionary<string, string> Env, string? Url, Dictionary<string, string> Headers, TimeSpan Timeout, bool Enabled);

    private static Valid Validate(GatewayServerSpec spec)
    {
        var transport = spec.Transport ?? (spec.Url is not null && spec.Command is null ? Http : Stdio);
        if (transport is not (Stdio or Http))
        {
            throw ReinProblemException.Invalid("transport", $"'{Shorten(transport)}' is not a transport; use stdio (a command) or http (a Streamable HTTP url)");
        }

        var timeout = DefaultTimeout;
        if (spec.Timeout is { } text && (!Durations.TryParse(text, out timeout) || timeout < MinTimeout || timeout > MaxTimeout))
        {
            throw ReinProblemException.Invalid("timeout", $"'{Shorten(text)}' must be a duration from {MinTimeout.TotalSeconds:0}s to {MaxTimeout.TotalMinutes:0}m, such as 30s");
        }

        if (transport == Stdio)
        {
            if (spec.Url is not null || spec.Headers is { Count: > 0 })
            {
                throw ReinProblemException.Invalid(spec.Url is not null ? "url" : "headers", "belongs to an http server; a stdio server has a command, args and env");
            }

            if (string.IsNullOrWhiteSpace(spec.Command))
            {
                throw ReinProblemException.Invalid("command", "is required for a stdio server: the program to start, such as npx");
            }

            Text("command", spec.Command, MaxCommandLength);
            var args = spec.Args ?? [];
            if (args.Count > MaxArgs)
            {
                throw ReinProblemException.Invalid("args", $"has {args.Count} arguments; at most {MaxArgs}");
            }

            for (var i = 0; i < args.Count; i++)
            {
                Text($"args[{i}]", args[i] ?? throw ReinProblemException.Invalid($"args[{i}]", "must be a string, not null"), MaxArgLength, allowEmpty: true);
            }

            var env = Pairs("env", spec.Env, MaxEnv, IsEnvName, "letters, digits and _, not starting with a digit");
            return new Valid(Stdio, spec.Command, [.. args], env, null, [], timeout, spec.Enabled ?? true);
        }

        if (spec.Command is not null || spec.Args is { Count: > 0 } || spec.Env is { Count: > 0 })
        {
            throw ReinProblemException.Invalid(spec.Command is not null ? "command" : spec.Args is { Count: > 0 } ? "args" : "env", "belongs to a stdio server; an http server has a url and headers");
        }

        if (UrlProblem(spec.Url) is { } problem)
        {
            throw ReinProblemException.Invalid("url", problem);
        }

        var headers = Pairs("headers", spec.Headers, MaxHeaders, IsHeaderName, "letters, digits and ! # $ % & ' * + - . ^ _ ` | ~");
        return new Valid(Http, null, [], [], spec.Url, headers, timeout, spec.Enabled ?? true);
    }

    /// <summary>An upstream's address: absolute http or https, without user name or password (use a header).</summary>
    public static string? UrlProblem(string? url) => string.IsNullOrEmpty(url)
        ? "is required for an http server: the server's Streamable HTTP endpoint, such as https://tools.example.com/mcp"
        : WebhookUrls.Problem(url, credentialsInstead: "give credentials in headers, which are kept secret");

    private static Dictionary<string, string> Pairs(string field, IReadOnlyDictionary<string, string>? pairs, int max, Func<string, bool> validName, string nameRule)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (pairs is null)
        {
            return result;
        }

        if (pairs.Count > max)
        {
            throw ReinProblemException.Invalid(field, $"has {pairs.Count} entries; at most {max}");
        }

        foreach (var (key, value) in pairs)
        {
            if (key.Length is 0 or > MaxNameLength || !validName(key))
            {
                throw ReinProblemException.Invalid(field, $"'{Shorten(key)}' is not a valid name: 1 to {MaxNameLength} {nameRule}");
            }

            Text($"{field}.{key}", value ?? throw ReinProblemException.Invalid($"{field}.{key}", "must be a string, not null"), MaxValueLength, allowEmpty: true);
            result[key] = value;
        }

        return result;
    }

    private static void Text(string field, string value, int max, bool allowEmpty = false)
    {
        if (!allowEmpty && value.Length == 0)
        {
            throw ReinProblemException.Invalid(field, "must not be empty");
        }

        if (value.Length > max)
        {
            throw ReinProblemException.Invalid(field, $"is {value.Length} characters long; at most {max}");
        }

        if (value.Any(char.IsControl))
        {
            throw ReinProblemException.Invalid(field, "must not contain control characters such as new lines");
        }
    }

    private static bool IsEnvName(string name) => (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    private static bool IsHeaderName(string name) => name.All(ch => char.IsAsciiLetterOrDigit(ch) || "!#$%&'*+-.^_`|~".Contains(ch, StringComparison.Ordinal));

    private IDataProtector Protector(string projectId, string server) =>
        protection.CreateProtector("Rein.Gateway.Server.Secret", projectId, server);

    private static GatewayServer ToServer(ServerRow row)
    {
        var config = JsonSerializer.Deserialize<StoredConfig>(row.Config, GatewayJson.Options)!;
        return new GatewayServer(
            row.Name,
            row.Transport,
            config.Command,
            config.Args ?? [],
            Mask(config.Env),
            config.Url,
            Mask(config.Headers),
            Policies.Durations.Format(TimeSpan.FromMilliseconds(row.TimeoutMs)),
            row.Enabled != 0,
            DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));
    }

    private static Dictionary<string, string> Mask(IReadOnlyDictionary<string, string>? values) =>
        (values ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value.StartsWith(ProtectedPrefix, StringComparison.Ordinal) ? Masked : p.Value, StringComparer.Ordinal);

    private static string Digest(ServerRow row) =>
        AuditChain.DigestOf(("name", row.Name), ("transport", row.Transport), ("config", row.Config), ("timeout_ms", row.TimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("enabled", row.Enabled.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static ReinProblemException NoServer(Caller caller, string name) =>
        ReinProblemException.NotFound($"project {caller.ProjectId} has no tool server '{name}'");

    internal static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    [GeneratedRegex(@"^\$\{env:([A-Za-z_][A-Za-z0-9_]{0,127})\}$")]
    private static partial Regex EnvReference();
}

/// <summary>A server's config as stored: env and header values are <c>protected:</c> ciphertext or <c>${env:NAME}</c>.</summary>
internal sealed record StoredConfig(
    string? Command,
    IReadOnlyList<string>? Args,
    IReadOnlyDictionary<string, string>? Env,
    string? Url,
    IReadOnlyDictionary<string, string>? Headers);
