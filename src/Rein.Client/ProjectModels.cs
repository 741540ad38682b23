namespace Rein.Client;

/// <summary>A project: the boundary of all data on a Rein server.</summary>
/// <param name="Id">The project's id: 2 to 40 lowercase letters, digits and inner hyphens.</param>
/// <param name="Name">A display name.</param>
/// <param name="CreatedAt">When the project was created.</param>
/// <param name="CreatedBy">The id of the key that created it (<c>system</c> for the default project).</param>
public sealed record Project(string Id, string Name, DateTimeOffset CreatedAt, string? CreatedBy);

/// <summary>A project as just created, with its first admin key.</summary>
/// <param name="Project">The new project.</param>
/// <param name="Key">The record of the project's first admin key.</param>
/// <param name="ApiKey">The full value of that key. It is shown only in this answer: the server keeps only its hash.</param>
public sealed record CreatedProject(Project Project, ApiKeyInfo Key, string ApiKey);
