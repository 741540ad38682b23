using Rein.Core.Identity;

namespace Rein.Core.Tests.Identity;

public sealed class RolesTests
{
    [Theory]
    [InlineData(Role.Agent, Permission.Act, true)]
    [InlineData(Role.Agent, Permission.Read, false)]
    [InlineData(Role.Agent, Permission.Approve, false)]
    [InlineData(Role.Agent, Permission.Administer, false)]
    [InlineData(Role.Viewer, Permission.Act, false)]
    [InlineData(Role.Viewer, Permission.Read, true)]
    [InlineData(Role.Viewer, Permission.Approve, false)]
    [InlineData(Role.Viewer, Permission.Administer, false)]
    [InlineData(Role.Approver, Permission.Act, false)]
    [InlineData(Role.Approver, Permission.Read, true)]
    [InlineData(Role.Approver, Permission.Approve, true)]
    [InlineData(Role.Approver, Permission.Administer, false)]
    [InlineData(Role.Admin, Permission.Act, true)]
    [InlineData(Role.Admin, Permission.Read, true)]
    [InlineData(Role.Admin, Permission.Approve, true)]
    [InlineData(Role.Admin, Permission.Administer, true)]
    public void Grants_FollowsTheRoleTable(Role role, Permission permission, bool expected)
    {
        Assert.Equal(expected, role.Grants(permission));
    }

    [Theory]
    [InlineData("agent", Role.Agent)]
    [InlineData("Viewer", Role.Viewer)]
    [InlineData(" approver ", Role.Approver)]
    [InlineData("ADMIN", Role.Admin)]
    public void TryParse_WireNames_ParseCaseInsensitively(string name, Role expected)
    {
        Assert.True(Roles.TryParse(name, out var role));
        Assert.Equal(expected, role);
        Assert.Equal(expected.ToString().ToLowerInvariant(), role.ToName());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("root")]
    [InlineData("3")]
    public void TryParse_UnknownNames_AreRejected(string? name)
    {
        Assert.False(Roles.TryParse(name, out _));
    }

    [Fact]
    public void Holding_Read_ListsTheReadingRoles()
    {
        Assert.Equal(["viewer", "approver", "admin"], Roles.Holding(Permission.Read));
    }
}
