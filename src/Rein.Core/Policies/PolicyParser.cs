using System.Security.Cryptography;
using System.Text;

namespace Rein.Core.Policies;

public static class PolicyParser
{
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
                $"the policy file is larger than {limits.MaxSourceBytes} bytes (MaxSourceBytes)")]);
        }

        var normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        var reader = new PolicyReader(normalized, file, limits);
        var policy = reader.Read();
        if (reader.Problems.Count > 0 || policy is null)
        {
            var problems = reader.Problems
                .Distinct()
                .OrderBy(p => p.Line)
                .ThenBy(p => p.Column)
                .ToList();
            throw new PolicyException(problems);
        }

        return policy;
    }

    /// <summary><c>sha256:</c> and the lowercase hex SHA-256 of the UTF-8 text.</summary>
    internal static string Hash(string normalizedSource) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedSource)));
}
