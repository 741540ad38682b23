using System.Security.Cryptography;
using System.Text;

namespace Rein.Core.Policies;

public static class PolicyParser
{
    /// <summary>Problems listed for one file: enough to fix a file in one pass, bounded for a generated or hostile one.</summary>
    internal const int MaxProblems = 100;

    /// <exception cref="PolicyException">Every problem found, with file, line and column.</exception>
    public static Policy Parse(string source, string file = "policy.yaml", PolicyLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        file ??= "policy.yaml";
        limits ??= PolicyLimits.Default;

        // Every UTF-16 unit is at least one UTF-8 byte, so the length alone rejects most oversized files without a scan.
        var bytes = source.Length > limits.MaxSourceBytes ? source.Length : Encoding.UTF8.GetByteCount(source);
        if (bytes > limits.MaxSourceBytes)
        {
            throw new PolicyException([new PolicyProblem(file, 1, 1,
                $"the policy file is larger than {limits.MaxSourceBytes} bytes")]);
        }

        // A byte-order mark is how some editors save UTF-8, not part of the policy: the same policy has one hash.
        var normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        normalized = normalized.StartsWith('\uFEFF') ? normalized[1..] : normalized;
        var reader = new PolicyReader(normalized, file, limits);
        var policy = reader.Read();
        if (reader.Problems.Count > 0 || policy is null)
        {
            var problems = reader.Problems
                .Distinct()
                .OrderBy(p => p.Line)
                .ThenBy(p => p.Column)
                .ToList();
            if (problems.Count > MaxProblems)
            {
                var first = problems[MaxProblems];
                var more = problems.Count - MaxProblems;
                problems.RemoveRange(MaxProblems, more);
                problems.Add(first with { Message = $"{more} more problems not shown (at most {MaxProblems} are listed)" });
            }

            throw new PolicyException(problems);
        }

        return policy;
    }

    /// <summary><c>sha256:</c> and the lowercase hex SHA-256 of the UTF-8 text.</summary>
    internal static string Hash(string normalizedSource) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedSource)));
}
