using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>
/// The signature of a webhook delivery: <c>X-Rein-Signature: sha256=&lt;hex&gt;</c>, the HMAC-SHA256 under the
/// queue's secret (its UTF-8 bytes) of <c>&lt;X-Rein-Timestamp&gt;.&lt;body&gt;</c>. The timestamp inside the signed
/// text lets a receiver refuse old deliveries replayed to it.
/// </summary>
public static class WebhookSignature
{
    public const string Prefix = "sha256=";

    /// <summary>The header value for a body sent at <paramref name="timestamp"/> (Unix seconds).</summary>
    public static string Sign(string secret, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(body);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), SignedBytes(timestamp.ToString(CultureInfo.InvariantCulture), body));
        return Prefix + Convert.ToHexStringLower(mac);
    }

    /// <summary>What a receiver does: true when <paramref name="signature"/> is the header made with
    /// <paramref name="secret"/> over exactly this timestamp and body (compared in constant time).</summary>
    public static bool Verify(string secret, string timestamp, string body, string? signature)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(timestamp);
        ArgumentNullException.ThrowIfNull(body);
        if (signature is null || !signature.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), SignedBytes(timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static byte[] SignedBytes(string timestamp, string body) => Encoding.UTF8.GetBytes(timestamp + "." + body);
}
