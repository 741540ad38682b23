namespace Rein.Server.Approvals.Webhooks;

/// <summary>What makes an address a webhook may be sent to, and how it may be shown.</summary>
public static class WebhookUrls
{
    /// <summary>Longest URL accepted, a bound most servers and proxies also keep.</summary>
    public const int MaxLength = 2048;

    /// <summary>What is wrong with <paramref name="url"/>, or null when it is an absolute http or https address.
    /// The answer never repeats the URL: chat webhook URLs carry their credential in the path.</summary>
    /// <param name="url">The address.</param>
    /// <param name="allowQuery">False when the address may not have a query.</param>
    /// <param name="credentialsInstead">Where credentials go instead of the address's user name and password.</param>
    public static string? Problem(string? url, bool allowQuery = true, string credentialsInstead = "receivers check the signature made with the secret instead")
    {
        if (string.IsNullOrEmpty(url))
        {
            return "is required: an absolute http or https address";
        }

        if (url.Length > MaxLength)
        {
            return $"is {url.Length} characters long; at most {MaxLength} are allowed";
        }

        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return "must not contain spaces or control characters";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            uri.Host.Length == 0 || uri.IsFile || uri.IsUnc)
        {
            return "must be an absolute http or https address, such as https://hooks.example.com/rein";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "must not contain a user name or password; " + credentialsInstead;
        }

        if (uri.Fragment.Length > 0 || url.Contains('#', StringComparison.Ordinal))
        {
            return "must not have a fragment (#...)";
        }

        return !allowQuery && uri.Query.Length > 0 ? "must not have a query (?...)" : null;
    }

    /// <summary>Scheme, host and port only: what logs and the audit log show of a webhook's address.</summary>
    public static string Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : "(invalid address)";
}
