using Microsoft.Extensions.Configuration;
using Rein.Server.Dashboard;
using Rein.Server.Identity;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

public sealed class ConfigurationTests
{
    private static ReinConfiguration Load(Dictionary<string, string?> flags, Dictionary<string, string?>? environment = null)
    {
        var builder = new ConfigurationBuilder();
        if (environment is not null)
        {
            // Stand-in for REIN_* variables: the same provider type, read from a private prefix.
            var prefix = $"REINTEST{Guid.NewGuid():N}_";
            foreach (var (key, value) in environment)
            {
                Environment.SetEnvironmentVariable(prefix + key, value);
            }

            builder.AddEnvironmentVariables(prefix);
        }

        builder.AddInMemoryCollection(flags);
        return ReinConfiguration.Load(builder.Build());
    }

    private static string Problems(Dictionary<string, string?> flags, Dictionary<string, string?>? environment = null) =>
        string.Join("\n", Assert.Throws<ReinConfigurationException>(() => Load(flags, environment)).Problems);

    [Fact]
    public void Defaults_AreValid()
    {
        var configuration = Load([]);

        Assert.Equal(ReinOptions.DefaultUrls, configuration.Get<ReinOptions>().Urls);
        Assert.Equal(".rein", configuration.Get<ReinOptions>().DataDir);
        Assert.Equal(TimeSpan.FromHours(12), configuration.Get<DashboardOptions>().SessionLifetime);
    }

    [Theory]
    [InlineData("Urls", "https://127.0.0.1:7346", "Urls (from --urls): 'https://127.0.0.1:7346' is not a listening address")]
    [InlineData("Urls", "localhost:80", "Urls (from --urls)")]
    [InlineData("Database", "Hots=db;Database=rein", "Database (from --database): not a PostgreSQL connection string")]
    [InlineData("Database", "sqlite:", "Database (from --database): 'sqlite:' must be followed by a file path")]
    [InlineData("Database", "Database=rein", "Database (from --database): a PostgreSQL connection string needs a Host")]
    [InlineData("DataDir", " ", "DataDir (from --data-dir): must name a folder")]
    [InlineData("MaxRequestBodyBytes", "12", "MaxRequestBodyBytes (from --maxrequestbodybytes): must be between 1024")]
    [InlineData("MaxRequestBodyBytes", "lots", "MaxRequestBodyBytes (from --maxrequestbodybytes): 'lots' is not a whole number")]
    [InlineData("ShutdownTimeout", "forever", "ShutdownTimeout (from --shutdowntimeout): 'forever' is not a duration")]
    [InlineData("Dashboard:SessionLifetime", "10s", "Dashboard:SessionLifetime")]
    [InlineData("TrustedProxies", "10.0.0.0/8;proxy.internal", "TrustedProxies (from --trustedproxies): 'proxy.internal' is not an IP address")]
    [InlineData("Identity:MaxProjects", "0", "Identity:MaxProjects")]
    [InlineData("Identity:MaxProject", "10", "Identity:MaxProject (from --identity:maxproject): is not a Rein setting")]
    [InlineData("Databse", "x", "Databse (from --databse): is not a Rein setting")]
    [InlineData("Traces:MaxSpansPerRequest", "0", "Traces:MaxSpansPerRequest (from --traces:maxspansperrequest): must be between 1 and")]
    [InlineData("Traces:CommitTimeout", "0s", "Traces:CommitTimeout")]
    [InlineData("Traces:RedactPatterns:employee", "EMP-[0-9", "Traces:RedactPatterns:employee (from --traces:redactpatterns:employee): is not a valid regular expression")]
    [InlineData("Traces:RedactPatterns:bad name", "x", "Traces:RedactPatterns:bad name")]
    [InlineData("Traces:Prices:house:Input", "1", "Traces:Prices:house: needs both Input and Output")]
    [InlineData("Traces:Prices:house:Inptu", "1", "Traces:Prices:house:Inptu (from --traces:prices:house:inptu): is not a Rein setting")]
    [InlineData("Traces:Prices:house:Output", "cheap", "Traces:Prices:house:Output (from --traces:prices:house:output): 'cheap' is not a number")]
    [InlineData("Traces:Prices", "3", "Traces:Prices (from --traces:prices): expected a section of named entries")]
    [InlineData("Gate:MaxRequestBytes", "100", "Gate:MaxRequestBytes (from --gate:maxrequestbytes): must be between 1024 and")]
    [InlineData("Gate:MaxJsonDepth", "65", "Gate:MaxJsonDepth (from --gate:maxjsondepth): must be between 2 and 64")]
    [InlineData("Gate:QueueCapacity", "0", "Gate:QueueCapacity (from --gate:queuecapacity): must be between 1 and")]
    [InlineData("Gate:MaxDecisionsPerTransaction", "0", "Gate:MaxDecisionsPerTransaction (from --gate:maxdecisionspertransaction): must be between 1 and")]
    [InlineData("Gate:MaxRecordedCalls", "0", "Gate:MaxRecordedCalls (from --gate:maxrecordedcalls): must be between 1 and")]
    [InlineData("Gate:RunCacheSize", "-1", "Gate:RunCacheSize (from --gate:runcachesize): must be between 0 and 1000000")]
    [InlineData("Gate:RunCacheSize", "1000001", "Gate:RunCacheSize (from --gate:runcachesize): must be between 0 and 1000000")]
    [InlineData("Gate:CommitTimeout", "2m", "Gate:CommitTimeout")]
    [InlineData("Approvals:DefaultExpiry", "30s", "Approvals:DefaultExpiry (from --approvals:defaultexpiry): must be between 1m and 168h")]
    [InlineData("Approvals:DefaultExpiry", "8d", "Approvals:DefaultExpiry (from --approvals:defaultexpiry): must be between 1m and 168h")]
    [InlineData("Approvals:MaxWait", "11m", "Approvals:MaxWait (from --approvals:maxwait): must be between 1s and 10m")]
    [InlineData("Approvals:TokenLifetime", "2d", "Approvals:TokenLifetime (from --approvals:tokenlifetime): must be between 10s and 24h")]
    [InlineData("Approvals:ExpiryInterval", "0s", "Approvals:ExpiryInterval (from --approvals:expiryinterval): must be between 10ms and 10m")]
    [InlineData("Approvals:NotifyPollInterval", "2m", "Approvals:NotifyPollInterval (from --approvals:notifypollinterval): must be between 10ms and 1m")]
    [InlineData("Approvals:MaxNoteLength", "0", "Approvals:MaxNoteLength (from --approvals:maxnotelength): must be between 1 and 100000")]
    [InlineData("Approvals:MaxArgsBytes", "100", "Approvals:MaxArgsBytes (from --approvals:maxargsbytes): must be between 1024 and 16777216")]
    [InlineData("Approvals:MaxWaiters", "0", "Approvals:MaxWaiters (from --approvals:maxwaiters): must be between 1 and 1000000")]
    [InlineData("Approvals:Surprise", "1", "Approvals:Surprise (from --approvals:surprise): is not a Rein setting")]
    [InlineData("Gate:UnboundAgentEffect", "maybe", "Gate:UnboundAgentEffect (from --gate:unboundagenteffect): must be allow, confirm, require_approval or deny")]
    [InlineData("Traces:DropAttributes", "a*b", "Traces:DropAttributes (from --traces:dropattributes): 'a*b' must be an attribute key")]
    public void BadValue_StopsTheStart_NamingTheSetting(string key, string value, string expected)
    {
        Assert.Contains(expected, Problems(new() { [key] = value }), StringComparison.Ordinal);
    }

    [Fact]
    public void BadValueFromTheEnvironment_NamesTheVariable()
    {
        var problems = Problems([], new() { ["SHUTDOWNTIMEOUT"] = "soon" });

        Assert.Contains("(from REIN_SHUTDOWNTIMEOUT)", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionStringErrors_NeverRepeatThePassword()
    {
        var problems = Problems(new() { ["Database"] = "Host=db;Password=hunter2-secret;Bogus=1" });

        Assert.DoesNotContain("hunter2-secret", problems, StringComparison.Ordinal);
        Assert.Contains("bogus", problems, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AllProblems_AreReportedTogether()
    {
        var error = Assert.Throws<ReinConfigurationException>(() => Load(new() { ["Urls"] = "nope", ["ShutdownTimeout"] = "0s" }));

        Assert.Equal(2, error.Problems.Count);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("7d", 604_800_000)]
    [InlineData("250ms", 250)]
    [InlineData("00:01:00", 60_000)]
    public void Durations_ParseAsPeopleWriteThem(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(milliseconds, (long)value.TotalMilliseconds);
    }

    [Fact]
    public void PostgresUrl_BecomesAConnectionString()
    {
        Assert.True(Rein.Server.Storage.DatabaseTarget.TryParse("postgresql://rein:p%40ss@db.internal:5433/rein?sslmode=require", ".rein", out var target, out _));

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(target!.Value);
        Assert.Equal(("db.internal", 5433, "rein", "rein", "p@ss"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal(Npgsql.SslMode.Require, builder.SslMode);
    }

    [Fact]
    public void ClientSettings_AreNotMistakenForServerSettings()
    {
        var configuration = Load([], new() { ["URL"] = "http://elsewhere", ["API_KEY"] = "rein_x" });

        Assert.NotNull(configuration.Get<IdentityOptions>());
    }

    [Fact]
    public void SnakeCaseVariables_SetTheSameSettings()
    {
        var configuration = Load([], new()
        {
            ["DATA_DIR"] = "/srv/rein",
            ["MAX_REQUEST_BODY_BYTES"] = "2048",
            ["IDENTITY__MAX_PROJECTS"] = "7",
            ["DASHBOARD__SESSION_LIFETIME"] = "2h",
        });

        Assert.Equal("/srv/rein", configuration.Get<ReinOptions>().DataDir);
        Assert.Equal(2048, configuration.Get<ReinOptions>().MaxRequestBodyBytes);
        Assert.Equal(7, configuration.Get<IdentityOptions>().MaxProjects);
        Assert.Equal(TimeSpan.FromHours(2), configuration.Get<DashboardOptions>().SessionLifetime);
    }

    [Fact]
    public void SnakeCaseVariable_WithABadValue_IsNamedAsWritten()
    {
        Assert.Contains("IDENTITY__MAX_PROJECTS", Problems([], new() { ["IDENTITY__MAX_PROJECTS"] = "many" }), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithAMissingConfigFile_NamesIt()
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<ReinConfigurationException>(() => ReinServer.Build(new ReinServerSettings
        {
            ContentRoot = dir.Path,
            ConfigFile = dir.Combine("nope.json"),
            ReadEnvironment = false,
        }));

        Assert.Contains("--config", error.Message, StringComparison.Ordinal);
        Assert.Contains("nope.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithMalformedAppSettings_SaysWhichFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("appsettings.json"), "{ \"Urls\": ");

        var error = Assert.Throws<ReinConfigurationException>(() => ReinServer.Build(new ReinServerSettings { ContentRoot = dir.Path, ReadEnvironment = false }));

        Assert.Contains("appsettings.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TracesSection_ReadsPricesPatternsAndDropLists()
    {
        var traces = Load(new()
        {
            ["Traces:Prices:house-model:Input"] = "0.4",
            ["Traces:Prices:house-model:Output"] = "1.6",
            ["Traces:RedactPatterns:employee_id"] = "EMP-[0-9]{6}",
            ["Traces:DropAttributes:0"] = "http.request.header.cookie",
            ["Traces:DropAttributes:1"] = "internal.*",
        }).Get<Rein.Server.Traces.TracesOptions>();

        Assert.Equal(0.4m, traces.Prices["HOUSE-MODEL"].Input);
        Assert.Equal(1.6m, traces.Prices["house-model"].Output);
        Assert.Equal("EMP-[0-9]{6}", traces.RedactPatterns["employee_id"]);
        Assert.Equal(["http.request.header.cookie", "internal.*"], traces.DropAttributes);
        Assert.Equal(["a", "b.*"], Load(new() { ["Traces:DropAttributes"] = "a, b.*" }).Get<Rein.Server.Traces.TracesOptions>().DropAttributes);
    }
}
