namespace Rein.Core.Identity;

/// <summary>What an API key may do inside its project. Each role includes the rights of none of the others
/// except as listed in <see cref="Roles.Grants"/>.</summary>
public enum Role
{
    /// <summary>Sends traces, asks the gate, uses memory and the tool gateway.</summary>
    Agent,

    /// <summary>Reads everything in the project.</summary>
    Viewer,

    /// <summary>Viewer plus deciding approvals.</summary>
    Approver,

    /// <summary>Everything in the project, keys and policies included.</summary>
    Admin,
}

/// <summary>A right checked at an endpoint; roles grant sets of them.</summary>
public enum Permission
{
    /// <summary>Send traces, ask the gate, use memory and the tool gateway.</summary>
    Act,

    /// <summary>Read the project's data.</summary>
    Read,

    /// <summary>Decide approvals.</summary>
    Approve,

    /// <summary>Manage keys, policies and every other setting of the project.</summary>
    Administer,
}

/// <summary>Role names on the wire and the permission table.</summary>
public static class Roles
{
    /// <summary>Wire names, in order of increasing reach.</summary>
    public static IReadOnlyList<string> Names { get; } = ["agent", "viewer", "approver", "admin"];

    public static string ToName(this Role role) => role switch
    {
        Role.Agent => "agent",
        Role.Viewer => "viewer",
        Role.Approver => "approver",
        Role.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    /// <summary>Parses a wire name (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? name, out Role role)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "agent": role = Role.Agent; return true;
            case "viewer": role = Role.Viewer; return true;
            case "approver": role = Role.Approver; return true;
            case "admin": role = Role.Admin; return true;
            default: role = default; return false;
        }
    }

    public static bool Grants(this Role role, Permission permission) => permission switch
    {
        Permission.Act => role is Role.Agent or Role.Admin,
        Permission.Read => role is Role.Viewer or Role.Approver or Role.Admin,
        Permission.Approve => role is Role.Approver or Role.Admin,
        Permission.Administer => role is Role.Admin,
        _ => false,
    };

    /// <summary>The roles that hold a permission, for error messages ("needs role viewer, approver or admin").</summary>
    public static IReadOnlyList<string> Holding(Permission permission) =>
        [.. Enum.GetValues<Role>().Where(r => r.Grants(permission)).Select(r => r.ToName())];
}
