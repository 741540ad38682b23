namespace Rein.Cli;

/// <summary>What <c>rein</c> exits with; scripts can rely on these (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The server refused the request (4xx/5xx), or a check found a problem.</summary>
    public const int Failed = 1;

    /// <summary>The command line or the configuration is wrong.</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>The API key is missing, malformed, unknown, revoked or expired.</summary>
    public const int Unauthorized = 4;

    /// <summary>The audit chain failed verification.</summary>
    public const int AuditBroken = 5;

    /// <summary><c>rein gate</c> only: the gate answered deny. (That command exits <see cref="Failed"/> for every failure,
    /// so this code cannot be mistaken for <see cref="Unreachable"/>.)</summary>
    public const int GateDenied = 3;

    /// <summary><c>rein gate</c> only: the gate answered confirm or require_approval. (That command exits
    /// <see cref="Failed"/> for every failure, so this code cannot be mistaken for <see cref="Unauthorized"/>.)</summary>
    public const int GateNeedsConfirmation = 4;

    /// <summary><c>rein approvals wait</c> only: the request was rejected or expired, so the action is denied (as
    /// <see cref="GateDenied"/>; that command exits <see cref="Failed"/> for every failure).</summary>
    public const int ApprovalNotApproved = 3;

    /// <summary><c>rein approvals wait</c> only: still pending when the timeout ended (as <see cref="GateNeedsConfirmation"/>).</summary>
    public const int ApprovalStillPending = 4;
}
