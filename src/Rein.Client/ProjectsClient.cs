using System.Globalization;
using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>Projects (<c>/api/v1/projects</c>). Admin keys of the <c>default</c> project see and create all of them;
/// other admin keys see their own project only.</summary>
public sealed class ProjectsClient
{
    private readonly ReinClient _client;

    internal ProjectsClient(ReinClient client) => _client = client;

    /// <summary>One page of the projects the key can see, by id.</summary>
    /// <param name="limit">Page size (the server's default is 100, its maximum 1000).</param>
    /// <param name="after">The <see cref="Page{T}.Next"/> of the previous page; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public Task<Page<Project>> ListAsync(int? limit = null, string? after = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/projects" + ReinClient.Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("after", after)), null, ReinJsonContext.Default.PageProject, cancellationToken);

    /// <summary>Every project the key can see, fetching page after page as the enumeration goes.</summary>
    /// <param name="pageSize">Projects per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The projects, by id.</returns>
    public IAsyncEnumerable<Project> ListAllAsync(int? pageSize = null, CancellationToken cancellationToken = default) =>
        ReinClient.AllPagesAsync((after, ct) => ListAsync(pageSize, after, ct), cancellationToken);

    /// <summary>One project the key can see.</summary>
    /// <param name="id">The project's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The project.</returns>
    /// <exception cref="ReinApiException">404 when there is no such project or the key cannot see it.</exception>
    public Task<Project> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _client.SendAsync(HttpMethod.Get, "api/v1/projects/" + Uri.EscapeDataString(id), null, ReinJsonContext.Default.Project, cancellationToken);
    }

    /// <summary>Creates a project with its first admin key (needs an admin key of the <c>default</c> project).</summary>
    /// <param name="id">The new project's id: 2 to 40 lowercase letters, digits and inner hyphens.</param>
    /// <param name="name">A display name; the id when null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The project, and its admin key's record and full value, which the server never shows again.</returns>
    /// <exception cref="ReinApiException">400 naming the field at fault; 403 for other keys; 409 when the id is taken.</exception>
    public Task<CreatedProject> CreateAsync(string id, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var body = JsonContent.Create(new CreateProjectBody(id, name), ReinJsonContext.Default.CreateProjectBody);
        return _client.SendAsync(HttpMethod.Post, "api/v1/projects", body, ReinJsonContext.Default.CreatedProject, cancellationToken);
    }
}
