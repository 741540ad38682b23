using System.CommandLine;
using Rein.Core.Policies;

namespace Rein.Cli.Policies;

/// <summary><c>rein policy check|test FILE…</c>: offline, with the same parser, checker and evaluator the server uses; no
/// server and no key.</summary>
public static class PolicyFileCommands
{
    public static Command Check(GlobalOptions globals)
    {
        var files = FilesArgument();
        var command = new Command(
            "check",
            "Parse and check policy files offline: print each problem as file:line:column: message. Exits 1 when any file has a problem.")
        {
            files,
        };
        command.SetAction(parse =>
        {
            var output = CliOutput.Create(parse.GetValue(globals.Output) ?? GlobalOptions.Table);
            var results = new List<CheckedFile>();
            foreach (var path in parse.GetValue(files)!)
            {
                var (policy, problems) = Load(path);
                results.Add(new CheckedFile(path, policy?.Name, problems.Count == 0 && policy is not null, problems));
                if (output.IsJson)
                {
                    continue;
                }

                foreach (var problem in problems)
                {
                    output.Line(PolicyText.Clean(problem.ToString()));
                }

                if (policy is not null)
                {
                    output.Line($"{path}: ok (policy {PolicyText.Clean(policy.Name)}, {policy.Mode.ToName()}, " +
                        $"{CliOutput.Plural(policy.Rules.Count, "rule")}, {CliOutput.Plural(policy.Tests.Count, "test")})");
                }
            }

            if (output.IsJson)
            {
                output.Json(results);
            }

            return results.TrueForAll(r => r.Valid) ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    public static Command Test(GlobalOptions globals)
    {
        var files = FilesArgument();
        var command = new Command(
            "test",
            "Check policy files and run their embedded tests offline: PASS or FAIL per test with the reason, then 'N passed, N failed'. " +
            "Exits 1 when a test fails or a file has a problem.")
        {
            files,
        };
        command.SetAction(parse =>
        {
            var output = CliOutput.Create(parse.GetValue(globals.Output) ?? GlobalOptions.Table);
            var results = new List<TestedFile>();
            int passed = 0, failed = 0, withProblems = 0;
            foreach (var path in parse.GetValue(files)!)
            {
                var (policy, problems) = Load(path);
                if (policy is null)
                {
                    withProblems++;
                    results.Add(new TestedFile(path, null, problems, []));
                    if (!output.IsJson)
                    {
                        foreach (var problem in problems)
                        {
                            output.Line(PolicyText.Clean(problem.ToString()));
                        }
                    }

                    continue;
                }

                var report = PolicyTests.Run(policy);
                passed += report.Passed;
                failed += report.Failed;
                results.Add(new TestedFile(path, policy.Name, [], [.. report.Results.Select(r => new TestOutcome(r.Name, r.Line, r.Passed, r.Failure, r.Decision.Effect.ToName()))]));
                if (output.IsJson)
                {
                    continue;
                }

                output.Line($"{path}: policy {PolicyText.Clean(policy.Name)}{(report.Results.Count == 0 ? " has no tests" : "")}");
                foreach (var result in report.Results)
                {
                    output.Line(PolicyText.TestLine(result.Name, result.Passed, result.Line, result.Failure));
                }
            }

            if (output.IsJson)
            {
                output.Json(results);
            }
            else
            {
                output.Line(PolicyText.Summary(passed, failed, withProblems));
            }

            return failed == 0 && withProblems == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>Reads and parses one file. A file that cannot be read is a problem at 1:1, like one that does not parse.</summary>
    public static (Policy? Policy, IReadOnlyList<PolicyProblem> Problems) Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var limit = PolicyLimits.Default.MaxSourceBytes;
        string source;
        try
        {
            // Checked before reading: a policy is small, and a wrong argument (a log file, a disk image) should not be read whole.
            if (new FileInfo(path) is { Exists: true } info && info.Length > limit)
            {
                return (null, [new PolicyProblem(path, 1, 1, $"the policy file is larger than {limit} bytes")]);
            }

            source = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return (null, [new PolicyProblem(path, 1, 1, $"cannot read the file: {e.Message}")]);
        }

        try
        {
            return (PolicyParser.Parse(source, path), []);
        }
        catch (PolicyException e)
        {
            return (null, e.Problems.Count == 0 ? [new PolicyProblem(path, 1, 1, e.Message)] : e.Problems);
        }
    }

    private static Argument<string[]> FilesArgument() => new("files")
    {
        Description = "Policy files (YAML)",
        Arity = ArgumentArity.OneOrMore,
    };

    private sealed record CheckedFile(string File, string? Policy, bool Valid, IReadOnlyList<PolicyProblem> Problems);

    private sealed record TestOutcome(string Name, int Line, bool Passed, string? Failure, string Effect);

    private sealed record TestedFile(string File, string? Policy, IReadOnlyList<PolicyProblem> Problems, IReadOnlyList<TestOutcome> Tests);
}
