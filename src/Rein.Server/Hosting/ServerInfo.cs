using System.Reflection;

namespace Rein.Server;

/// <summary>The running build.</summary>
public static class ServerInfo
{
    public static string Version { get; } =
        (typeof(ServerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}
